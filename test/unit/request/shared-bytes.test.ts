// Large bodies joined on shared memory a slice per event-loop turn: the same bytes as Buffer.concat, other
// callbacks run in between.
import { describe, expect, it } from 'vitest';
import { isShared, joinShared, toShared } from '../../../src/request/shared-bytes.ts';

const MiB = 1024 * 1024;

function chunksOf(total: number, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < total; offset += size) {
    const chunk = Buffer.alloc(Math.min(size, total - offset));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (offset + i) % 251;
    chunks.push(chunk);
  }
  return chunks;
}

describe('joinShared', () => {
  it.each([
    ['one chunk', 3 * MiB + 7, 3 * MiB + 7],
    ['chunks that straddle the copy slices', 3 * MiB + 7, 700_001],
    ['many small chunks', MiB + 5, 16 * 1024],
  ])('joins %s into the bytes Buffer.concat gives, on a SharedArrayBuffer', async (_, total, size) => {
    const chunks = chunksOf(total, size);
    const joined = await joinShared(chunks, total);
    expect(isShared(joined)).toBe(true);
    expect(Buffer.compare(joined, Buffer.concat(chunks))).toBe(0);
  });

  it('lets other callbacks run while it copies a large body', async () => {
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    let ranBeforeTheEnd = false;
    const chunks = chunksOf(4 * MiB, 4 * MiB);
    await joinShared(chunks, 4 * MiB).then(() => {
      ranBeforeTheEnd = ran;
    });
    expect(ranBeforeTheEnd).toBe(true);
  });

  it('keeps bytes already on shared memory as they are', async () => {
    const shared = await toShared(Buffer.from('{"model":"auto"}'));
    expect(isShared(shared)).toBe(true);
    expect(await toShared(shared)).toBe(shared);
  });
});
