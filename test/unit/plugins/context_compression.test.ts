// context_compression: long tool outputs reach the upstream cut to their target, keeping what answers the question.
import { afterEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/policy/policy.ts';
import { estimateTokens } from '../../../src/request/request-context.ts';
import { compilePluginPolicy, peerPlugin, upstreamBody } from '../../helpers/peer-plugin-fragment.ts';
import { pluginIssues } from '../../helpers/plugin-issues.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

async function peerPolicy(): Promise<Policy> {
  const policy = await compilePluginPolicy([peerPlugin('context-compression/tool-output.yaml')]);
  opened.push(policy);
  return policy;
}

/** A service log of `lines` lines with one line that answers the question, somewhere in the middle. */
function serviceLog(lines: number): string {
  const out: string[] = ['BEGIN deployment log for cluster eu-west'];
  for (let i = 1; i < lines - 1; i++) {
    out.push(
      i === Math.floor(lines * 0.6)
        ? `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z ERROR payment-gateway failed: certificate expired for api.pay.example`
        : `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z INFO worker-${i % 17} heartbeat ok queue depth ${i * 7} latency ${i % 90}ms`,
    );
  }
  out.push('END of log, 0 pending jobs');
  return out.join('\n');
}

function chatWithToolOutput(output: string, question: string) {
  return {
    model: 'auto',
    messages: [
      { role: 'user', content: 'Check the deployment logs' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'logs.fetch', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: output },
      { role: 'user', content: question },
    ],
  };
}

describe('context_compression plugin', () => {
  it('loads the peer tool-output fragment without errors or warnings', async () => {
    const { errors, warnings } = await pluginIssues([peerPlugin('context-compression/tool-output.yaml')]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('cuts a tool output above min_tokens to below target_tokens, keeping the line that answers the question', async () => {
    const log = serviceLog(400);
    expect(estimateTokens(log)).toBeGreaterThan(2000);
    const body = await upstreamBody(await peerPolicy(), {
      body: chatWithToolOutput(log, 'Why did the payment gateway fail? Look for the certificate error.'),
    });
    const messages = body.messages as { role: string; content: string }[];
    const tool = messages.find((m) => m.role === 'tool')?.content ?? '';
    expect(estimateTokens(tool)).toBeLessThanOrEqual(1000);
    expect(tool).toContain('ERROR payment-gateway failed: certificate expired');
    // The budget left is spent on the context around the answer: the lines just before and after it.
    const original = log.split('\n');
    const answerAt = original.findIndex((l) => l.includes('certificate expired'));
    expect(tool).toContain(original[answerAt - 1]);
    expect(tool).toContain(original[answerAt + 1]);
    expect(estimateTokens(tool)).toBeGreaterThan(500);
    expect(tool.startsWith('BEGIN deployment log')).toBe(true);
    expect(tool.endsWith('END of log, 0 pending jobs')).toBe(true);
    // Kept lines stay in their original order.
    const lines = tool.split('\n').filter((l) => l !== '[…]');
    const positions = lines.map((l) => original.indexOf(l));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The user's own turns are untouched.
    expect(messages.at(-1)?.content).toBe(
      'Why did the payment gateway fail? Look for the certificate error.',
    );
  });

  it('leaves a tool output under min_tokens as sent', async () => {
    const log = serviceLog(40);
    const body = await upstreamBody(await peerPolicy(), { body: chatWithToolOutput(log, 'what failed?') });
    expect((body.messages as { content: string }[])[2]?.content).toBe(log);
  });

  it('compresses Anthropic tool_result blocks and Responses function_call_output items', async () => {
    const log = serviceLog(400);
    const question = 'Why did the payment gateway fail?';
    const messages = await upstreamBody(await peerPolicy(), {
      path: '/v1/messages',
      body: {
        model: 'auto',
        max_tokens: 100,
        messages: [
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'logs', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: log },
              { type: 'text', text: question },
            ],
          },
        ],
      },
    });
    const result = JSON.stringify(messages);
    expect(result).toContain('certificate expired');
    expect(estimateTokens(result)).toBeLessThan(1300);
    const responses = await upstreamBody(await peerPolicy(), {
      path: '/v1/responses',
      body: {
        model: 'auto',
        input: [
          { type: 'function_call', call_id: 'c1', name: 'logs', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: log },
          { role: 'user', content: question },
        ],
      },
    });
    const output = (responses.input as { output?: string }[])[1]?.output ?? '';
    expect(estimateTokens(output)).toBeLessThanOrEqual(1000);
    expect(output).toContain('certificate expired');
  });

  it('warns that recovery is not implemented when the policy enables it', async () => {
    const peer = peerPlugin('context-compression/tool-output.yaml');
    const { warnings } = await pluginIssues([
      { ...peer, configuration: { ...peer.configuration, recovery: { enabled: true } } },
    ]);
    expect(warnings.map((w) => w.message)).toEqual([
      'recovery of compressed text is not implemented: the cut text is not kept',
    ]);
  });

  it('rejects an unknown target mode and an unknown field at load', async () => {
    const bad = await pluginIssues([
      { type: 'context_compression', configuration: { targets: { tool_outputs: { mode: 'summarise' } } } },
    ]);
    expect(bad.errors).toHaveLength(1);
    const typo = await pluginIssues([
      { type: 'context_compression', configuration: { failure: 'fail_open' } },
    ]);
    expect(typo.errors[0]?.message).toMatch(/failure/);
  });
});
