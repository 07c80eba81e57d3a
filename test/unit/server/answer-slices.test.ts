// Answers that replace a body with a large one are written a slice per event-loop turn, into exactly the bytes of
// the one-step encoder.
import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import {
  encodeAnswerInSlices,
  encodeProcessingResponse,
  LARGE_ANSWER_BODY_BYTES,
} from '../../../src/server/response-encoder.ts';

function body(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = 0x20 + (i % 90);
  return out;
}

describe('answers with a large body', () => {
  it.each([
    ['request_body', LARGE_ANSWER_BODY_BYTES],
    ['request_body', 3 * 1024 * 1024 + 11],
    ['response_body', 2 * 1024 * 1024],
  ] as const)('a %s answer of %i bytes has the one-step bytes', async (phase, bytes) => {
    const result: PhaseResult = {
      kind: 'continue',
      body: body(bytes),
      setHeaders: [
        ['x-selected-model', 'long-context'],
        ['content-length', String(bytes)],
      ],
      removeHeaders: ['x-router-debug'],
      clearRouteCache: true,
      dynamicMetadata: { 'io.envoy.semantic_router': { decision: 'long_context', pool: 'longctx-pool' } },
      modeOverride: { responseBodyMode: 'STREAMED' },
    };
    const sliced = encodeAnswerInSlices(phase, result);
    expect(sliced).toBeInstanceOf(Promise);
    expect(Buffer.compare(await sliced, encodeProcessingResponse(phase, result))).toBe(0);
  });

  it('writes small bodies, cleared bodies and local answers in one step', () => {
    const small: PhaseResult = { kind: 'continue', body: body(LARGE_ANSWER_BODY_BYTES - 1) };
    const local: PhaseResult = {
      kind: 'immediate',
      status: 413,
      headers: [],
      body: body(LARGE_ANSWER_BODY_BYTES),
      details: 'too large',
    };
    for (const result of [small, { kind: 'continue', clearBody: true } as const, local]) {
      const encoded = encodeAnswerInSlices('request_body', result);
      expect(Buffer.isBuffer(encoded)).toBe(true);
      expect(Buffer.compare(encoded as Buffer, encodeProcessingResponse('request_body', result))).toBe(0);
    }
  });

  it('lets other callbacks run while it copies a large body', async () => {
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    let ranBeforeTheEnd = false;
    await encodeAnswerInSlices('request_body', { kind: 'continue', body: body(4 * 1024 * 1024) });
    ranBeforeTheEnd = ran;
    expect(ranBeforeTheEnd).toBe(true);
  });
});
