// The per-stream state machine without gRPC: phases in Envoy's order against a real policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImmediateResult, PhaseResult } from '../../../src/mutations.ts';
import { createRequestRouter, type RequestRouter } from '../../../src/pipeline.ts';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await loadPolicyFile('policies/default.yaml');
});
afterAll(() => policy.close());

function processor(
  options: { maxBodyBytes?: number; failOpen?: boolean; onUnexpectedError?: (e: unknown) => void } = {},
) {
  return new StreamProcessor(createRequestRouter(policy), {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    failOpen: options.failOpen ?? false,
    onUnexpectedError: options.onUnexpectedError ?? (() => {}),
  });
}

const postHeaders = () =>
  new Map([
    [':method', 'POST'],
    [':path', '/v1/chat/completions?api-version=1'],
    ['x-selected-model', 'spoofed'],
    ['x-router-debug', 'true'],
  ]);

const status = (result: PhaseResult) => (result as ImmediateResult).status;

describe('StreamProcessor', () => {
  it('strips spoofed routing headers but keeps honouring x-router-debug', async () => {
    const p = processor();
    const headers = p.onRequestHeaders(postHeaders(), false);
    expect(headers).toMatchObject({
      kind: 'continue',
      removeHeaders: ['x-selected-model', 'x-router-debug'],
    });
    await p.onRequestBody(
      Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'solve for x' }] })),
      true,
    );
    const diagnostics = await p.onResponseHeaders(new Map([['content-type', 'application/json']]));
    expect(diagnostics.kind === 'continue' && Object.fromEntries(diagnostics.setHeaders ?? [])).toMatchObject(
      {
        'x-router-decision': 'math_reasoning',
        'x-router-signals': 'keyword:math_terms=1.000',
      },
    );
  });

  it('answers 400 when an LLM request arrives without a body', () => {
    expect(status(processor().onRequestHeaders(postHeaders(), true))).toBe(400);
  });

  it('answers 413 once streamed chunks pass the limit, and ignores later chunks', async () => {
    const p = processor({ maxBodyBytes: 100 });
    p.onRequestHeaders(postHeaders(), false);
    expect(await p.onRequestBody(Buffer.alloc(60), false)).toEqual({ kind: 'continue', clearBody: true });
    expect(status(await p.onRequestBody(Buffer.alloc(60), false))).toBe(413);
    expect(await p.onRequestBody(Buffer.alloc(60), true)).toEqual({ kind: 'continue' });
  });

  it('maps an unexpected failure to 500, or lets the request through when failing open', async () => {
    const broken: RequestRouter = {
      ...createRequestRouter(policy),
      route: async () => {
        throw new TypeError('boom');
      },
    };
    const seen: unknown[] = [];
    for (const failOpen of [false, true]) {
      const p = new StreamProcessor(broken, {
        maxBodyBytes: 1000,
        failOpen,
        onUnexpectedError: (e) => seen.push(e),
      });
      p.onRequestHeaders(postHeaders(), false);
      const result = await p.onRequestBody(Buffer.from('{}'), true);
      if (failOpen) expect(result).toEqual({ kind: 'continue' });
      else expect(status(result)).toBe(500);
    }
    expect(seen).toHaveLength(2);
  });

  it('skips bodies of paths that are not LLM requests', () => {
    const result = processor().onRequestHeaders(
      new Map([
        [':method', 'GET'],
        [':path', '/healthz'],
      ]),
      true,
    );
    expect(result).toMatchObject({ modeOverride: { requestBodyMode: 'NONE', responseBodyMode: 'NONE' } });
  });
});
