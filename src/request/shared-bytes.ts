// Large request bodies assembled on a SharedArrayBuffer, a bounded slice per event-loop turn: the body-decoding
// worker reads it in place (no copy to post) and the router keeps it for the rewrite, even if the worker dies.
import { COPY_SLICE_BYTES, yieldToEventLoop } from '../event-loop.ts';

export function isShared(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof SharedArrayBuffer;
}

/**
 * `chunks` (together `total` bytes) joined on a SharedArrayBuffer, copying at most COPY_SLICE_BYTES per turn; the
 * first slice too waits for a turn of its own (the turn that received the body has copied it once already).
 */
export async function joinShared(chunks: readonly Uint8Array[], total: number): Promise<Buffer> {
  const joined = Buffer.from(new SharedArrayBuffer(total));
  // The body arrived in a poll for I/O: a setImmediate from there runs in the same loop iteration, two do not.
  await yieldToEventLoop();
  let offset = 0;
  let sliceBytes = COPY_SLICE_BYTES;
  for (const chunk of chunks) {
    for (let from = 0; from < chunk.length; ) {
      if (sliceBytes >= COPY_SLICE_BYTES) {
        await yieldToEventLoop();
        sliceBytes = 0;
      }
      const to = Math.min(chunk.length, from + COPY_SLICE_BYTES - sliceBytes);
      joined.set(chunk.subarray(from, to), offset);
      offset += to - from;
      sliceBytes += to - from;
      from = to;
    }
  }
  return joined;
}

/** `bytes` on a SharedArrayBuffer: as they are when they already are, else copied in bounded slices. */
export function toShared(bytes: Uint8Array): Promise<Uint8Array> {
  return isShared(bytes) ? Promise.resolve(bytes) : joinShared([bytes], bytes.length);
}
