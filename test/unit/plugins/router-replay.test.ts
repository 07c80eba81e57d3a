// router_replay: a bounded ring of routing records per decision (oldest dropped), bodies only when captured and cut
// at max_body_bytes, no credentials; served by the admin server and re-routed by `explain --replay`.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { AdminServer } from '../../../src/admin/admin-server.ts';
import { readinessReport } from '../../../src/admin/readiness.ts';
import { explainReplayCommand } from '../../../src/cli/explain-replay.ts';
import { HEADER } from '../../../src/headers.ts';
import { PLUGINS as PLUGIN_REGISTRY } from '../../../src/plugins/index.ts';
import type { PluginDefinition } from '../../../src/plugins/plugin.ts';
import { ReplayStore } from '../../../src/plugins/replay-store.ts';
import { routerReplayDefinition } from '../../../src/plugins/router-replay.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { chatAnswer, exchange } from '../../helpers/response-plugins.ts';

const PLUGINS = await PLUGIN_REGISTRY.loadAll();

function replayPolicy(
  configuration: Record<string, unknown>,
  codeKeywords = ['python', 'stack trace'],
): string {
  return YAML.stringify({
    version: 'v1',
    default_model: 'small',
    pools: [
      { name: 'l4-pool', max_context_tokens: 32768 },
      { name: 'h100-pool', max_context_tokens: 131072 },
    ],
    models: [
      { name: 'small', pools: ['l4-pool'] },
      { name: 'coder', pools: ['h100-pool'] },
    ],
    routing: {
      signals: { keywords: [{ name: 'code', operator: 'OR', keywords: codeKeywords }] },
      decisions: [
        {
          name: 'code_route',
          priority: 100,
          rules: { operator: 'OR', conditions: [{ type: 'keyword', name: 'code' }] },
          modelRefs: [{ model: 'coder' }],
          plugins: [{ type: 'router_replay', configuration }],
        },
        {
          name: 'general',
          priority: 10,
          modelRefs: [{ model: 'small' }],
          plugins: [{ type: 'router_replay', configuration }],
        },
      ],
    },
  });
}

const opened: Policy[] = [];
afterEach(() => {
  for (const policy of opened.splice(0)) policy.close();
});

async function withStore(configuration: Record<string, unknown>) {
  const store = new ReplayStore();
  const registry = new Map([
    ...PLUGINS,
    ['router_replay', routerReplayDefinition(store) as PluginDefinition<never>],
  ]);
  const policy = await compilePolicyText(replayPolicy(configuration), 'replay.yaml', { plugins: registry });
  opened.push(policy);
  return { store, policy };
}

async function ask(policy: Policy, prompt: string, requestId: string, answer = 'An answer.') {
  const { processor, headersResult } = await exchange(
    policy,
    [{ role: 'user', content: prompt }],
    { contentType: 'application/json' },
    {
      'x-request-id': requestId,
      authorization: 'Bearer sk-secret',
      'x-api-key': 'k-123',
      'x-tenant': 'acme',
    },
  );
  await processor.onResponseBody(chatAnswer(answer), true);
  return headersResult;
}

describe('router_replay', () => {
  it('records decision, model, pool, status and usage, and tells the client the record id', async () => {
    const { store, policy } = await withStore({ max_records: 10 });
    const headers = await ask(policy, 'why does my python code raise', 'req-1');
    expect(
      headers.kind === 'continue' && Object.fromEntries(headers.setHeaders ?? [])[HEADER.vsrReplayId],
    ).toBe('req-1');
    const record = store.get('req-1');
    expect(record).toMatchObject({
      decision: { name: 'code_route' },
      model: { name: 'coder' },
      pool: 'h100-pool',
      request: { path: '/v1/chat/completions', api: 'chat_completions' },
      response: { status: 200, complete: true, usage: { prompt_tokens: 10, completion_tokens: 20 } },
    });
    expect(record?.signals.find((s) => s.family === 'keywords')?.matches).toEqual([
      { name: 'code', confidence: 1 },
    ]);
    // No body unless the policy asks, and never a credential header.
    expect(record?.request.body).toBeUndefined();
    expect(record?.response.body).toBeUndefined();
    expect(record?.request.headers).toEqual({ 'x-request-id': 'req-1', 'x-tenant': 'acme' });
  });

  it('keeps at most max_records per decision, dropping the oldest', async () => {
    const { store, policy } = await withStore({ max_records: 2 });
    for (const id of ['a', 'b', 'c']) await ask(policy, 'hello there', id);
    await ask(policy, 'python please', 'code-1');
    expect(store.get('a')).toBeUndefined();
    expect(
      store
        .list()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['b', 'c', 'code-1']);
  });

  it('captures the bodies when asked, cut at max_body_bytes', async () => {
    const { store, policy } = await withStore({
      capture_request_body: true,
      capture_response_body: true,
      max_body_bytes: 64,
    });
    await ask(policy, 'hello '.repeat(40), 'long', 'x'.repeat(500));
    const record = store.get('long');
    expect(record?.request.body).toHaveLength(64);
    expect(record?.request.body_truncated).toBe(true);
    expect(record?.response.body).toHaveLength(64);
    expect(record?.response.body_truncated).toBe(true);
    await ask(policy, 'hi', 'short', 'ok');
    expect(store.get('short')?.request.body_truncated).toBeUndefined();
    expect(JSON.parse(store.get('short')?.request.body ?? '')).toMatchObject({ model: 'auto' });
  });

  it('loads the peer fragment router-replay/debug.yaml', async () => {
    const { store, policy } = await withStore({
      enabled: true,
      max_records: 10000,
      capture_request_body: true,
      capture_response_body: true,
      max_body_bytes: 4096,
      max_tool_trace_steps: 100,
    });
    expect(policy.warnings).toEqual([]);
    await ask(policy, 'hi', 'frag');
    expect(store.size).toBe(1);
  });
});

describe('GET /replay on the admin server', () => {
  const store = new ReplayStore();
  let admin: AdminServer;
  let base: string;
  beforeAll(async () => {
    admin = new AdminServer({
      readiness: () =>
        readinessReport({ policyCompiled: true, modelsWarm: true, grpcAccepting: true, shuttingDown: false }),
      policy: () => undefined,
      replay: store,
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${await admin.listen('127.0.0.1', 0)}`;
  });
  afterAll(() => admin.close());

  it('lists the records newest first and serves one by request id', async () => {
    const registry = new Map([
      ...PLUGINS,
      ['router_replay', routerReplayDefinition(store) as PluginDefinition<never>],
    ]);
    const policy = await compilePolicyText(replayPolicy({ max_records: 5 }), 'replay.yaml', {
      plugins: registry,
    });
    opened.push(policy);
    await ask(policy, 'hello', 'first');
    await ask(policy, 'python', 'second/with slash');
    const list = (await (await fetch(`${base}/replay`)).json()) as {
      count: number;
      records: { id: string }[];
    };
    expect(list.count).toBe(2);
    const one = await fetch(`${base}/replay/${encodeURIComponent('second/with slash')}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: 'second/with slash', decision: { name: 'code_route' } });
    expect((await fetch(`${base}/replay/nope`)).status).toBe(404);
  });
});

describe('explain --replay', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
  });
  afterAll(() => rmSync(dir, { recursive: true }));

  async function replay(policyText: string, recordFile: string) {
    const policyFile = path.join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(policyFile, policyText);
    const out: string[] = [];
    const err: string[] = [];
    const code = await explainReplayCommand(
      { policyFile, replayFile: recordFile, json: true },
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    return { code, out: out.join(''), err: err.join('') };
  }

  it('re-routes a recorded request to the recorded decision, and shows when the policy changed it', async () => {
    const configuration = { capture_request_body: true, max_body_bytes: 65536 };
    const { store, policy } = await withStore(configuration);
    await ask(policy, 'my python function has a stack trace', 'rec-1');
    const recordFile = path.join(dir, 'rec-1.json');
    writeFileSync(recordFile, JSON.stringify(store.get('rec-1')));

    const same = await replay(replayPolicy(configuration), recordFile);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out)).toMatchObject({
      record: { decision: 'code_route', model: 'coder', pool: 'h100-pool' },
      current: { decision: 'code_route', model: 'coder', pool: 'h100-pool' },
      sameDecision: true,
      samePool: true,
    });

    const changed = await replay(replayPolicy(configuration, ['rust']), recordFile);
    expect(JSON.parse(changed.out)).toMatchObject({
      current: { decision: 'general', model: 'small' },
      sameDecision: false,
      sameModel: false,
    });
  });

  it('is the CLI command explain --replay', async () => {
    const configuration = { capture_request_body: true };
    const { store, policy } = await withStore(configuration);
    await ask(policy, 'a python stack trace', 'cli-1');
    const recordFile = path.join(dir, 'cli-1.json');
    writeFileSync(recordFile, JSON.stringify(store.get('cli-1')));
    const policyFile = path.join(dir, 'cli-policy.yaml');
    writeFileSync(policyFile, replayPolicy(configuration, ['rust']));
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'explain',
      '--policy',
      policyFile,
      '--replay',
      recordFile,
    ]);
    expect(stdout).toMatch(/decision +recorded code_route +now general +CHANGED/);
    expect(stdout).toMatch(/pool +recorded h100-pool +now l4-pool +CHANGED/);
  }, 60_000);

  it('refuses a record without its whole request body, saying which setting to change', async () => {
    const { store, policy } = await withStore({ capture_request_body: false });
    await ask(policy, 'python', 'no-body');
    const recordFile = path.join(dir, 'no-body.json');
    writeFileSync(recordFile, JSON.stringify(store.get('no-body')));
    const result = await replay(replayPolicy({}), recordFile);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/capture_request_body: true/);
  });
});
