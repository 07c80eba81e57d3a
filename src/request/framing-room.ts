// A large rewritten body allocated with free bytes on both sides: the ext_proc answer that carries it is framed in
// place (the protobuf fields before and after the body written into that room), so the body is never copied into a
// second multi-megabyte answer buffer. Only bodies allocated here have room; any other view (a slice of a received
// message, of Buffer's pool) is never written around.

/** Bytes kept free before and after the body: enough for the answer's headers, metadata and field prefixes. */
export const FRAMING_ROOM_BYTES = 16 * 1024;

interface Room {
  /** The whole allocation; the body is `whole.subarray(FRAMING_ROOM_BYTES, FRAMING_ROOM_BYTES + length)`. */
  readonly whole: Buffer;
}

const rooms = new WeakMap<Uint8Array, Room>();

/** Memory prepared for a body (rewrite-space.ts) and where in it the allocation starts. */
export interface PreparedSpace {
  readonly buffer: SharedArrayBuffer;
  readonly start: number;
}

/**
 * An uninitialised body of `length` bytes with FRAMING_ROOM_BYTES free on either side: in `space` when it is large
 * enough, else newly allocated.
 */
export function allocateWithFramingRoom(length: number, space?: PreparedSpace): Buffer {
  const wholeLength = length + 2 * FRAMING_ROOM_BYTES;
  const whole =
    space !== undefined && space.buffer.byteLength >= space.start + wholeLength
      ? Buffer.from(space.buffer, space.start, wholeLength)
      : Buffer.allocUnsafe(wholeLength);
  const body = whole.subarray(FRAMING_ROOM_BYTES, FRAMING_ROOM_BYTES + length);
  rooms.set(body, { whole });
  return body;
}

/**
 * `prefix`, `body` and `suffix` as one contiguous Buffer, written around `body` in its room; undefined when `body`
 * has no room (or it was used already: a second answer must not overwrite the first) or the room is too small.
 */
export function frameInRoom(prefix: Uint8Array, body: Uint8Array, suffix: Uint8Array): Buffer | undefined {
  const room = rooms.get(body);
  if (room === undefined || prefix.length > FRAMING_ROOM_BYTES || suffix.length > FRAMING_ROOM_BYTES)
    return undefined;
  rooms.delete(body);
  const start = FRAMING_ROOM_BYTES - prefix.length;
  const bodyEnd = FRAMING_ROOM_BYTES + body.length;
  room.whole.set(prefix, start);
  room.whole.set(suffix, bodyEnd);
  return room.whole.subarray(start, bodyEnd + suffix.length);
}
