// tool_selection: the client's tools filtered by relevance, or relevant tools added from a tools database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/policy/policy.ts';
import { compilePluginPolicy, peerPlugin, upstreamBody } from '../../helpers/peer-plugin-fragment.ts';
import { pluginIssues } from '../../helpers/plugin-issues.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tool-selection-'));
const policyFile = path.join(dir, 'policy.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

function fn(name: string, description: string) {
  return {
    type: 'function',
    function: { name, description, parameters: { type: 'object', properties: {} } },
  };
}

const DB = [
  {
    tool: fn('get_weather', 'Get the weather forecast for a city'),
    category: 'weather',
    tags: ['forecast', 'rain'],
  },
  {
    tool: fn('get_stock_price', 'Latest stock price of a listed company'),
    category: 'finance',
    tags: ['stocks'],
  },
  { tool: fn('send_email', 'Send an email to a recipient'), category: 'communication', tags: ['mail'] },
  {
    tool: fn('convert_currency', 'Convert an amount between currencies'),
    category: 'finance',
    tags: ['exchange'],
  },
];

async function compile(configuration: Record<string, unknown>): Promise<Policy> {
  const policy = await compilePluginPolicy([{ type: 'tool_selection', configuration }], {}, policyFile);
  opened.push(policy);
  return policy;
}

function names(body: Record<string, unknown>): string[] {
  return ((body.tools ?? []) as { function?: { name: string }; name?: string }[]).map(
    (t) => t.function?.name ?? t.name ?? '',
  );
}

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  body: { model: 'auto', messages: [{ role: 'user', content }], ...extra },
});

describe('tool_selection plugin', () => {
  it('loads the peer add-from-database fragment with a warning that its missing database adds nothing', async () => {
    const { errors, warnings } = await pluginIssues([peerPlugin('tool-selection/add-from-database.yaml')]);
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(
      /tools database .*config\/tools_db\.json does not exist: tool_selection adds no tools/,
    );
    expect(warnings[0]?.path).toContain('tools_db_path');
  });

  it('adds the relevant database tool (and only that) to a request', async () => {
    writeFileSync(path.join(dir, 'tools.json'), JSON.stringify(DB));
    const policy = await compile({
      mode: 'add',
      tools_db_path: 'tools.json',
      top_k: 2,
      similarity_threshold: 0,
      advanced_filtering: { enabled: true, min_combined_score: 0.4 },
    });
    expect(
      names(await upstreamBody(policy, ask('Will it rain in Paris tomorrow? I need the weather forecast'))),
    ).toEqual(['get_weather']);
    expect(names(await upstreamBody(policy, ask('What is the stock price of ACME?')))).toEqual([
      'get_stock_price',
    ]);
    expect(await upstreamBody(policy, ask('Tell me a joke about cats'))).not.toHaveProperty('tools');
  });

  it('keeps the client’s own tools first and never adds one twice', async () => {
    writeFileSync(path.join(dir, 'tools.json'), JSON.stringify(DB));
    const policy = await compile({ mode: 'add', tools_db_path: 'tools.json', similarity_threshold: 0 });
    const body = await upstreamBody(
      policy,
      ask('weather forecast for Paris', { tools: [fn('get_weather', 'mine')] }),
    );
    expect(names(body)[0]).toBe('get_weather');
    expect(names(body).filter((n) => n === 'get_weather')).toHaveLength(1);
  });

  it('adds tools in the Messages API shape', async () => {
    writeFileSync(path.join(dir, 'tools.json'), JSON.stringify(DB));
    const policy = await compile({
      mode: 'add',
      tools_db_path: 'tools.json',
      similarity_threshold: 0,
      top_k: 1,
    });
    const body = await upstreamBody(policy, {
      path: '/v1/messages',
      body: { model: 'auto', max_tokens: 10, messages: [{ role: 'user', content: 'send an email to Bob' }] },
    });
    expect(body.tools).toEqual([
      {
        name: 'send_email',
        description: 'Send an email to a recipient',
        input_schema: { type: 'object', properties: {} },
      },
    ]);
  });

  it('refuses a malformed database unless fallback_to_empty, which loads it with a warning', async () => {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify([{ tool: { type: 'function' } }]));
    const refused = await pluginIssues(
      [{ type: 'tool_selection', configuration: { mode: 'add', tools_db_path: 'bad.json' } }],
      {},
      policyFile,
    );
    expect(refused.errors[0]?.message).toMatch(/is not a tools database/);
    const loaded = await pluginIssues(
      [
        {
          type: 'tool_selection',
          configuration: { mode: 'add', tools_db_path: 'bad.json', fallback_to_empty: true },
        },
      ],
      {},
      policyFile,
    );
    expect(loaded.errors).toEqual([]);
    expect(loaded.warnings[0]?.message).toMatch(/adds no tools/);
  });

  it('filter mode (peer fragment) keeps the relevant request tools and at least preserve_count of them', async () => {
    const policy = await compilePluginPolicy([peerPlugin('tool-selection/filter-request-tools.yaml')]);
    opened.push(policy);
    const tools = DB.map((entry) => entry.tool);
    const weather = await upstreamBody(policy, ask('weather forecast for Paris tomorrow', { tools }));
    expect(names(weather)).toContain('get_weather');
    expect(names(weather)).not.toContain('send_email');
    const unrelated = await upstreamBody(policy, ask('Tell me a joke about cats', { tools }));
    expect(names(unrelated)).toHaveLength(2);
  });

  it('rejects mode add without a database path at load', async () => {
    const { errors } = await pluginIssues([{ type: 'tool_selection', configuration: { mode: 'add' } }]);
    expect(errors[0]?.message).toMatch(/mode add needs tools_db_path/);
  });
});
