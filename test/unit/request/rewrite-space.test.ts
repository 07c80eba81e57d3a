// The memory the body-decoding worker prepares for a large body's rewrite: the rewrite written there has exactly the
// bytes of a rewrite into new memory, and is framed in place the same way; a rewrite that outgrows the space, or a
// second rewrite of the same body, gets new memory and leaves the first answer untouched.
import { describe, expect, it } from 'vitest';
import { rewriteTopLevel } from '../../../src/request/body-rewrite.ts';
import { frameInRoom } from '../../../src/request/framing-room.ts';
import {
  prepareRewriteSpace,
  REWRITE_GROWTH_BYTES,
  rememberRewriteSpace,
} from '../../../src/request/rewrite-space.ts';

function largeRequest(): { bytes: Buffer; original: Record<string, unknown> } {
  const content = 'Zürich 東京 ✓ "quoted" plan\n'.repeat(20_000);
  const original = { model: 'auto', stream: true, messages: [{ role: 'user', content }] };
  return { bytes: Buffer.from(JSON.stringify(original)), original };
}

/** `bytes` with space prepared for their rewrite, as the router holds a body the worker decoded. */
function withSpace(bytes: Buffer): Buffer {
  const held = Buffer.from(bytes);
  const space = prepareRewriteSpace(held.length);
  if (space === undefined) throw new Error('no memory for the rewrite space');
  rememberRewriteSpace(held, space);
  return held;
}

describe('rewrite space prepared by the body-decoding worker', () => {
  it('receives the same rewritten bytes as new memory would', () => {
    const { bytes, original } = largeRequest();
    const patched = { ...original, model: 'meta-llama/Llama-4-Scout', max_tokens: 512 };
    const expected = rewriteTopLevel(bytes, original, patched);
    const rewritten = rewriteTopLevel(withSpace(bytes), original, patched);
    expect(rewritten.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.compare(rewritten, expected)).toBe(0);
    const framed = frameInRoom(Buffer.from('prefix'), rewritten, Buffer.from('suffix'));
    expect(framed?.toString('utf8')).toBe(`prefix${expected.toString('utf8')}suffix`);
  });

  it('falls back to new memory for a rewrite that outgrows the space, with the same bytes', () => {
    const { bytes, original } = largeRequest();
    const patched = { ...original, model: 'x', system: 's'.repeat(REWRITE_GROWTH_BYTES + 1) };
    const rewritten = rewriteTopLevel(withSpace(bytes), original, patched);
    expect(rewritten.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.compare(rewritten, rewriteTopLevel(bytes, original, patched))).toBe(0);
  });

  it('gives a second rewrite of the same body memory of its own: the first stays as it was', () => {
    const { bytes, original } = largeRequest();
    const held = withSpace(bytes);
    const first = rewriteTopLevel(held, original, { ...original, model: 'first-model' });
    const firstText = first.toString('utf8');
    const second = rewriteTopLevel(held, original, { ...original, model: 'second-model' });
    expect(first.toString('utf8')).toBe(firstText);
    expect(JSON.parse(firstText).model).toBe('first-model');
    expect(JSON.parse(second.toString('utf8')).model).toBe('second-model');
  });
});
