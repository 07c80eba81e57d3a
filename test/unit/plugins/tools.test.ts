// tools: which declared tools (and earlier tool traffic) a route lets through to the upstream.
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { compilePluginPolicy, peerPlugin, upstreamBody } from '../../helpers/peer-plugin-fragment.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

async function policyWith(configuration: Record<string, unknown>): Promise<Policy> {
  const policy = await compilePluginPolicy([{ type: 'tools', configuration }]);
  opened.push(policy);
  return policy;
}

function tool(name: string, description: string) {
  return {
    type: 'function',
    function: { name, description, parameters: { type: 'object', properties: {} } },
  };
}

const TOOLS = [
  tool('docs.search', 'Search the product documentation for an answer'),
  tool('tickets.lookup', 'Look up a support ticket by its id'),
  tool('admin.delete', 'Delete a customer account'),
  tool('shell.exec', 'Run a shell command on the server'),
];

function namesOf(body: Record<string, unknown>): string[] {
  const tools = (body.tools ?? []) as { function: { name: string } }[];
  return tools.map((t) => t.function.name);
}

describe('tools plugin', () => {
  it('loads the peer semantic-select fragment: blocked and unlisted tools never reach the upstream', async () => {
    const policy = await compilePluginPolicy([peerPlugin('tools/semantic-select.yaml')]);
    opened.push(policy);
    expect(policy.warnings).toEqual([]);
    const body = await upstreamBody(policy, {
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'Delete the account of customer 42 and search the docs' }],
        tools: TOOLS,
        tool_choice: { type: 'function', function: { name: 'admin.delete' } },
      },
    });
    expect(namesOf(body)).not.toContain('admin.delete');
    expect(namesOf(body)).not.toContain('shell.exec');
    expect(namesOf(body).length).toBeGreaterThan(0);
    // The client forced a tool that was removed: the upstream is never told to call a tool it does not have.
    expect(body.tool_choice).toBe('auto');
  });

  it('keeps the tool relevant to the question when semantic selection keeps one', async () => {
    const policy = await policyWith({ mode: 'filtered', semantic_selection: true, top_k: 1 });
    const ticket = await upstreamBody(policy, {
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'What is the status of support ticket 1234?' }],
        tools: TOOLS,
      },
    });
    expect(namesOf(ticket)).toEqual(['tickets.lookup']);
    const docs = await upstreamBody(policy, {
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'Search the documentation: how do I rotate an API key?' }],
        tools: TOOLS,
      },
    });
    expect(namesOf(docs)).toEqual(['docs.search']);
  });

  it('drops tool_choice and parallel_tool_calls when no tool is left', async () => {
    const policy = await policyWith({ mode: 'filtered', block_tools: TOOLS.map((t) => t.function.name) });
    const body = await upstreamBody(policy, {
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'hi' }],
        tools: TOOLS,
        tool_choice: 'required',
        parallel_tool_calls: true,
      },
    });
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it('mode none with strip_tool_history sends no tools and no earlier tool calls or results (chat)', async () => {
    const policy = await policyWith({ mode: 'none', strip_tool_history: true });
    const body = await upstreamBody(policy, {
      body: {
        model: 'auto',
        tools: TOOLS,
        messages: [
          { role: 'user', content: 'Find ticket 7' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'tickets.lookup', arguments: '{"id":7}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'ticket 7: customer SSN 123-45-6789' },
          { role: 'assistant', content: 'Ticket 7 is open.' },
          { role: 'user', content: 'Thanks, summarise it' },
        ],
      },
    });
    expect(body).not.toHaveProperty('tools');
    expect(JSON.stringify(body)).not.toContain('123-45-6789');
    expect(JSON.stringify(body)).not.toContain('tool_calls');
    expect(body.messages).toEqual([
      { role: 'user', content: 'Find ticket 7' },
      { role: 'assistant', content: 'Ticket 7 is open.' },
      { role: 'user', content: 'Thanks, summarise it' },
    ]);
  });

  it('strips tool history in the Responses and Messages shapes too', async () => {
    const policy = await policyWith({ mode: 'none', strip_tool_history: true });
    const responses = await upstreamBody(policy, {
      path: '/v1/responses',
      body: {
        model: 'auto',
        input: [
          { role: 'user', content: 'Find ticket 7' },
          { type: 'function_call', call_id: 'c1', name: 'tickets.lookup', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'secret result' },
          { role: 'user', content: 'summarise' },
        ],
      },
    });
    expect(JSON.stringify(responses)).not.toContain('secret result');
    expect(responses.input).toHaveLength(2);
    const messages = await upstreamBody(policy, {
      path: '/v1/messages',
      body: {
        model: 'auto',
        max_tokens: 100,
        tools: [{ name: 'tickets.lookup', description: 'x', input_schema: { type: 'object' } }],
        messages: [
          { role: 'user', content: 'Find ticket 7' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'tickets.lookup', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: 'secret result' },
              { type: 'text', text: 'summarise' },
            ],
          },
        ],
      },
    });
    expect(JSON.stringify(messages)).not.toContain('secret result');
    expect(messages).not.toHaveProperty('tools');
    expect(messages.messages).toEqual([
      { role: 'user', content: 'Find ticket 7' },
      { role: 'user', content: [{ type: 'text', text: 'summarise' }] },
    ]);
  });

  it('resets a forced removed tool in the Messages and Responses shapes too', async () => {
    const policy = await policyWith({ mode: 'filtered', block_tools: ['admin.delete'] });
    const messages = await upstreamBody(policy, {
      path: '/v1/messages',
      body: {
        model: 'auto',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'delete it' }],
        tools: [
          { name: 'admin.delete', description: 'Delete an account', input_schema: { type: 'object' } },
          { name: 'docs.search', description: 'Search the docs', input_schema: { type: 'object' } },
        ],
        tool_choice: { type: 'tool', name: 'admin.delete' },
      },
    });
    expect((messages.tools as { name: string }[]).map((t) => t.name)).toEqual(['docs.search']);
    expect(messages.tool_choice).toEqual({ type: 'auto' });
    const responses = await upstreamBody(policy, {
      path: '/v1/responses',
      body: {
        model: 'auto',
        input: 'delete it',
        tools: [
          { type: 'function', name: 'admin.delete', parameters: { type: 'object' } },
          { type: 'web_search' },
        ],
        tool_choice: { type: 'function', name: 'admin.delete' },
      },
    });
    expect(responses.tools).toEqual([{ type: 'web_search' }]);
    expect(responses.tool_choice).toBe('auto');
  });

  it('passthrough forwards the tools as declared', async () => {
    const policy = await policyWith({ mode: 'passthrough', block_tools: ['admin.delete'] });
    const body = await upstreamBody(policy, {
      body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }], tools: TOOLS },
    });
    expect(namesOf(body)).toHaveLength(4);
  });

  it('rejects an unknown mode and an unknown field at load', async () => {
    await expect(policyWith({ mode: 'filter' })).rejects.toThrow(PolicyError);
    await expect(policyWith({ allowed_tools: ['x'] })).rejects.toThrow(/allowed_tools/);
  });
});
