// Answers that replace a body with a large one are encoded a slice per turn into exactly the serializer's bytes.
import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import type { ProcessingResponse } from '../../../src/server/ext-proc-messages.ts';
import { loadExtProcPackage } from '../../../src/server/ext-proc-server.ts';
import {
  encodeLargeAnswer,
  LARGE_ANSWER_BODY_BYTES,
  largeAnswerPhase,
} from '../../../src/server/large-answer-encoding.ts';
import { type Phase, toProcessingResponse } from '../../../src/server/wire.ts';

const codec = (
  loadExtProcPackage()['envoy.service.ext_proc.v3.ExternalProcessor'] as unknown as {
    Process: {
      responseSerialize(response: ProcessingResponse): Buffer;
    };
  }
).Process;

function body(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = 0x20 + (i % 90);
  return out;
}

const answer = (phase: Phase, result: PhaseResult) => toProcessingResponse(phase, result);

describe('large answer encoding', () => {
  it.each([
    ['request_body', LARGE_ANSWER_BODY_BYTES],
    ['request_body', 3 * 1024 * 1024 + 11],
    ['response_body', 2 * 1024 * 1024],
  ] as const)('encodes a %s answer of %i bytes exactly as the serializer does', async (phase, bytes) => {
    const response = answer(phase, {
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
    });
    expect(largeAnswerPhase(response)).toBe(phase);
    const encoded = await encodeLargeAnswer(response, phase, codec.responseSerialize);
    expect(Buffer.compare(encoded, codec.responseSerialize(response))).toBe(0);
  });

  it('leaves small bodies, cleared bodies and local answers to the serializer', () => {
    const small = answer('request_body', { kind: 'continue', body: body(LARGE_ANSWER_BODY_BYTES - 1) });
    const cleared = answer('request_body', { kind: 'continue', clearBody: true });
    const local = answer('request_body', {
      kind: 'immediate',
      status: 413,
      headers: [],
      body: body(LARGE_ANSWER_BODY_BYTES),
      details: 'too large',
    });
    expect([small, cleared, local].map(largeAnswerPhase)).toEqual([undefined, undefined, undefined]);
  });

  it('lets other callbacks run while it copies a large body', async () => {
    const response = answer('request_body', { kind: 'continue', body: body(4 * 1024 * 1024) });
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    let ranBeforeTheEnd = false;
    await encodeLargeAnswer(response, 'request_body', codec.responseSerialize).then(() => {
      ranBeforeTheEnd = ran;
    });
    expect(ranBeforeTheEnd).toBe(true);
  });
});
