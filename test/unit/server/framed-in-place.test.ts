// A large rewritten body is answered without a second multi-megabyte copy: the ext_proc answer is framed in the
// room the rewrite left around the body, with exactly the bytes of the one-step encoder; any other body, a second
// answer for the same body, or fields too long for the room take the copying path, with the same bytes.
import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import { rewriteTopLevel } from '../../../src/request/body-rewrite.ts';
import {
  allocateWithFramingRoom,
  FRAMING_ROOM_BYTES,
  frameInRoom,
} from '../../../src/request/framing-room.ts';
import {
  encodeAnswerInSlices,
  encodeProcessingResponse,
  LARGE_ANSWER_BODY_BYTES,
} from '../../../src/server/response-encoder.ts';

function largeRequest(chars: number): { bytes: Buffer; original: Record<string, unknown> } {
  const original = {
    model: 'auto',
    stream: true,
    messages: [
      { role: 'user', content: 'Zürich 東京 ✓ plan '.repeat(Math.ceil(chars / 18)).slice(0, chars) },
    ],
  };
  return { bytes: Buffer.from(JSON.stringify(original)), original };
}

function answerFor(body: Uint8Array, headerValue = 'long-context'): PhaseResult {
  return {
    kind: 'continue',
    body,
    setHeaders: [
      ['x-selected-model', headerValue],
      ['content-length', String(body.length)],
    ],
    removeHeaders: ['content-length'],
    clearRouteCache: true,
    dynamicMetadata: { 'io.envoy.semantic_router': { decision: 'long_context', pool: 'longctx-pool' } },
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('answers framed around a large rewritten body', () => {
  it('answers a large rewrite with the one-step bytes around the very body bytes, in a later turn', async () => {
    const { bytes, original } = largeRequest(LARGE_ANSWER_BODY_BYTES * 2);
    const rewritten = rewriteTopLevel(bytes, original, { ...original, model: 'meta-llama/Llama-4-Scout' });
    expect(JSON.parse(rewritten.toString('utf8'))).toEqual({
      ...original,
      model: 'meta-llama/Llama-4-Scout',
    });
    const bodyCopy = Buffer.from(rewritten);
    const result = answerFor(rewritten);
    let otherCallbackRan = false;
    setImmediate(() => {
      otherCallbackRan = true;
    });
    const answer = await encodeAnswerInSlices('request_body', result);
    // grpc-js copies the answer when it gets it: not in the turn that copied the rewritten body.
    expect(otherCallbackRan).toBe(true);
    expect(sameBytes(answer, encodeProcessingResponse('request_body', result))).toBe(true);
    // No copy: the answer is the body's own memory with the fields written around it.
    expect(answer.buffer).toBe(rewritten.buffer);
    expect(sameBytes(rewritten, bodyCopy)).toBe(true);
  });

  it('copies, with the same bytes, when the body was framed once already', async () => {
    const body = allocateWithFramingRoom(LARGE_ANSWER_BODY_BYTES);
    body.fill(0x61);
    const first = await encodeAnswerInSlices('request_body', answerFor(body, 'first'));
    expect(first.buffer).toBe(body.buffer);
    const firstBytes = Buffer.from(first);
    const secondResult = answerFor(body, 'a second, longer header value');
    const second = await encodeAnswerInSlices('request_body', secondResult);
    expect(second.buffer).not.toBe(body.buffer);
    expect(sameBytes(second, encodeProcessingResponse('request_body', secondResult))).toBe(true);
    // The first answer is left as it was.
    expect(sameBytes(first, firstBytes)).toBe(true);
  });

  it('copies, with the same bytes, when the fields around the body do not fit in the room', async () => {
    const body = allocateWithFramingRoom(LARGE_ANSWER_BODY_BYTES);
    body.fill(0x62);
    const result = answerFor(body, 'v'.repeat(FRAMING_ROOM_BYTES + 1));
    const answer = await encodeAnswerInSlices('response_body', result);
    expect(answer.buffer).not.toBe(body.buffer);
    expect(sameBytes(answer, encodeProcessingResponse('response_body', result))).toBe(true);
  });

  it('never writes around bodies it did not allocate: small rewrites, slices of received messages', () => {
    const { bytes, original } = largeRequest(1_000);
    const small = rewriteTopLevel(bytes, original, { ...original, model: 'm' });
    const received = Buffer.alloc(LARGE_ANSWER_BODY_BYTES + 64, 0x63);
    const slice = received.subarray(32, 32 + LARGE_ANSWER_BODY_BYTES);
    const field = Buffer.from([0x0a, 0x01]);
    expect(frameInRoom(field, small, field)).toBeUndefined();
    expect(frameInRoom(field, slice, field)).toBeUndefined();
    expect(received.every((byte) => byte === 0x63)).toBe(true);
  });
});
