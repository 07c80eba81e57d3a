// Synthetic requests: about as many tokens as the trace says, shared prefix blocks as shared text, a session per
// conversation, and filler no signal reacts to, so the question alone decides the route.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import {
  BUILT_IN_PROMPTS,
  fillerText,
  readPrompts,
  SESSION_HEADER,
  syntheticRequest,
} from '../../../src/simulate/synthetic-request.ts';
import { TRACE_DIR } from '../../helpers/simulate-traces.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await loadPolicyFile('policies/default.yaml');
});
afterAll(() => policy.close());

const options = { seed: 7, prompts: BUILT_IN_PROMPTS, blockTokens: 512 };

async function route(body: Uint8Array, headers: ReadonlyMap<string, string>) {
  const router = createRequestRouter(policy);
  const routed = await router.route({
    method: 'POST',
    path: '/v1/chat/completions',
    api: 'chat_completions',
    headers,
    body,
  });
  return routed;
}

function messages(body: Uint8Array): { role: string; content: string }[] {
  return JSON.parse(Buffer.from(body).toString('utf8')).messages;
}

describe('synthetic requests', () => {
  it('are about the traced size, and the question routes them', async () => {
    for (const [i, prompt] of [
      [0, BUILT_IN_PROMPTS[0]],
      [12, BUILT_IN_PROMPTS[12]],
      [15, BUILT_IN_PROMPTS[15]],
    ] as const) {
      const request = syntheticRequest(
        { arrivalMs: 0, inputTokens: 6000, outputTokens: 200, blocks: [] },
        i,
        { ...options, prompts: [prompt as string] },
      );
      const { context, plan } = await route(request.body, request.headers);
      expect(Math.abs(context.promptTokens - 6000)).toBeLessThan(60);
      expect(context.request.maxOutputTokens).toBe(200);
      expect(plan.decision?.name).toBe(['general', 'code', 'math_reasoning'][[0, 12, 15].indexOf(i)]);
    }
  });

  it('route long prompts by their size', async () => {
    const request = syntheticRequest({ arrivalMs: 0, inputTokens: 40_000, outputTokens: 10, blocks: [] }, 0, {
      ...options,
      prompts: [BUILT_IN_PROMPTS[0] as string],
    });
    expect((await route(request.body, request.headers)).plan.decision?.name).toBe('long_context');
  });

  it('give each prefix block the same text wherever it appears, and a conversation one session', () => {
    const first = syntheticRequest(
      { arrivalMs: 0, inputTokens: 1500, outputTokens: 5, blocks: [0, 11, 12] },
      0,
      options,
    );
    const later = syntheticRequest(
      { arrivalMs: 9, inputTokens: 2600, outputTokens: 5, blocks: [0, 11, 12, 13, 14] },
      5,
      options,
    );
    const a = messages(first.body);
    const b = messages(later.body);
    expect(a.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(b.slice(0, 2)).toEqual(a.slice(0, 2));
    expect(b[2]?.content.startsWith(a[2]?.content ?? 'x')).toBe(true);
    expect(first.headers.get(SESSION_HEADER)).toBe('conv-11');
    expect(later.headers.get(SESSION_HEADER)).toBe('conv-11');
    // The conversation keeps its question from turn to turn.
    expect(a.at(-1)).toEqual(b.at(-1));
  });

  it('are the same for the same seed and differ for another', () => {
    const row = { arrivalMs: 0, inputTokens: 800, outputTokens: 5, blocks: [] };
    expect(syntheticRequest(row, 3, options).body).toEqual(syntheticRequest(row, 3, options).body);
    expect(syntheticRequest(row, 3, options).body).not.toEqual(
      syntheticRequest(row, 3, { ...options, seed: 8 }).body,
    );
    expect(syntheticRequest(row, 3, options).headers.has(SESSION_HEADER)).toBe(false);
  });

  it('filler carries no digits, code or privacy words', () => {
    const text = fillerText(1, 20_000);
    expect(text).not.toMatch(/\d|python|function|confidential|salary|prove|matrix/i);
    expect(fillerText(1, 100)).toBe(fillerText(1, 100));
    expect(fillerText(2, 100)).not.toBe(fillerText(1, 100));
  });

  it('reads prompts from text, JSONL and CSV files', async () => {
    // Our own prompt-list formats, written here: no copy of a data set is tracked.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prompt-lists-'));
    writeFileSync(
      `${dir}/prompts.csv`,
      'id,dataset,instruction\n0,x,"Plan a picnic, with games"\n1,x,"Say ""hello"" politely"\n',
    );
    writeFileSync(
      `${dir}/prompts.jsonl`,
      '{"prompt": "Name three rivers."}\n{"text": "Describe a harbour at dawn."}\n',
    );
    expect(await readPrompts(`${dir}/prompts.csv`)).toEqual([
      'Plan a picnic, with games',
      'Say "hello" politely',
    ]);
    expect(await readPrompts(`${dir}/prompts.jsonl`)).toEqual([
      'Name three rivers.',
      'Describe a harbour at dawn.',
    ]);
    expect(await readPrompts('test/fixtures/simulate/prompts.txt')).toEqual([
      'First question?',
      'Second question?',
    ]);
    await expect(readPrompts(`${TRACE_DIR}/azure-tiny.csv`)).rejects.toThrow(
      /no prompt \/ text \/ instruction column/,
    );
    await expect(readPrompts(`${TRACE_DIR}/mooncake-tiny.jsonl`)).rejects.toThrow(/:1: no prompt/);
  });
});
