// Memory for a large body's rewrite, made ready by the body-decoding worker. A fresh multi-megabyte allocation costs
// the router's event loop a page fault per 4 KiB page when the rewrite first writes it (8 MiB: 3-9 ms instead of
// ~1 ms), and a Buffer's memory counts as V8 external memory, which drives garbage collections. The worker allocates
// a SharedArrayBuffer of the body's size (plus room for the answer's framing and for the rewrite to grow) and
// touches its pages, off the loop; the rewrite then writes into resident memory that V8 does not count.
import { FRAMING_ROOM_BYTES } from './framing-room.ts';

/** How much longer than the original body a rewrite may be and still use the prepared space. */
export const REWRITE_GROWTH_BYTES = 64 * 1024;

/** The rewrite may start up to 7 bytes in, to copy its largest part co-aligned with the source (body-rewrite.ts). */
const ALIGNMENT_SLACK_BYTES = 8;

/** Touching one byte per page maps the page; 4 KiB is the smallest page size Node runs on. */
const PAGE_BYTES = 4096;

/** Worker side: space for the rewrite of a body of `bodyBytes`, every page already touched (undefined: no memory). */
export function prepareRewriteSpace(bodyBytes: number): SharedArrayBuffer | undefined {
  let space: SharedArrayBuffer;
  try {
    space = new SharedArrayBuffer(
      bodyBytes + REWRITE_GROWTH_BYTES + 2 * FRAMING_ROOM_BYTES + ALIGNMENT_SLACK_BYTES,
    );
  } catch {
    return undefined;
  }
  const pages = new Uint8Array(space);
  for (let offset = 0; offset < pages.length; offset += PAGE_BYTES) pages[offset] = 0;
  return space;
}

const spaces = new WeakMap<Uint8Array, SharedArrayBuffer>();

/** Router side: `space` is for the rewrite of `body` (the bytes the worker decoded). */
export function rememberRewriteSpace(body: Uint8Array, space: SharedArrayBuffer): void {
  spaces.set(body, space);
}

/** The space prepared for the rewrite of `body`, once: a second rewrite must not overwrite the first. */
export function takeRewriteSpace(body: Uint8Array): SharedArrayBuffer | undefined {
  const space = spaces.get(body);
  spaces.delete(body);
  return space;
}
