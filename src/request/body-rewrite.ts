// The rewritten request body without re-serialising what did not change: the routing patches (model, reasoning
// switch, system prompt) replace top-level members, so every other member keeps its original bytes. A long prompt is
// not walked and escaped again (re-serialising 384K lone surrogates alone took ~35 ms of event loop).
import { bufferView } from '../buffer-view.ts';
import { allocateWithFramingRoom, FRAMING_ROOM_BYTES } from './framing-room.ts';
import { takeRewriteSpace } from './rewrite-space.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const OPEN = Buffer.from('{');
const SEPARATOR = Buffer.from(',');
const CLOSE = Buffer.from('}');

export interface Member {
  readonly key: string;
  /** Byte range of the whole member, `"key": value`. */
  readonly start: number;
  readonly end: number;
}

/** Top-level members of large bodies, found by the body-decoding worker: the rewrite does not scan them again. */
const knownMembers = new WeakMap<Uint8Array, readonly Member[]>();

/** Records the top-level members of `bytes` (topLevelMembers of the very same bytes, computed elsewhere). */
export function rememberTopLevelMembers(bytes: Uint8Array, members: readonly Member[]): void {
  knownMembers.set(bytes, members);
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** The JSON string `bytes[open..close]` (both quotes) as a value: plain ASCII without escapes read directly. */
function jsonKey(bytes: Buffer, open: number, close: number): string {
  let plain = true;
  for (let i = open + 1; i < close && plain; i++)
    plain = (bytes[i] as number) < 0x80 && bytes[i] !== BACKSLASH;
  return plain
    ? bytes.toString('latin1', open + 1, close)
    : (JSON.parse(bytes.toString('utf8', open, close + 1)) as string);
}

/** Index of the quote closing the string that opens at `open` (a quote not escaped by a backslash). */
function stringEnd(bytes: Uint8Array, open: number): number {
  let end = open;
  for (;;) {
    end = bytes.indexOf(QUOTE, end + 1);
    if (end < 0) return -1;
    let backslashes = 0;
    while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

/**
 * The members of a JSON object's top level, with their byte ranges; undefined when the bytes are not one object
 * (the caller then serialises the whole value). The bytes must already have parsed as JSON. Walks every string
 * of the body (tens of ms for 8 MiB of quote-heavy text): large bodies have theirs found off the event loop.
 */
export function topLevelMembers(body: Uint8Array): Member[] | undefined {
  const bytes = bufferView(body);
  let i = 0;
  while (isSpace(bytes[i])) i++;
  if (bytes[i] !== OPEN_BRACE) return undefined;
  const members: Member[] = [];
  i++;
  for (;;) {
    while (isSpace(bytes[i]) || bytes[i] === COMMA) i++;
    if (bytes[i] === CLOSE_BRACE) return members;
    if (bytes[i] !== QUOTE) return undefined;
    const start = i;
    const keyEnd = stringEnd(bytes, i);
    if (keyEnd < 0) return undefined;
    const key = jsonKey(bytes, start, keyEnd);
    i = keyEnd + 1;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== COLON) return undefined;
    i++;
    // The value: skip strings whole, count nesting, stop at the comma or brace that ends it.
    let depth = 0;
    let end = -1;
    while (i < bytes.length) {
      const byte = bytes[i];
      if (byte === QUOTE) {
        i = stringEnd(bytes, i);
        if (i < 0) return undefined;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        if (depth === 0) break;
        depth--;
      } else if (byte === COMMA && depth === 0) break;
      if (!isSpace(byte)) end = i + 1;
      i++;
    }
    if (end < 0 || i >= bytes.length) return undefined;
    members.push({ key, start, end });
  }
}

/**
 * `patched` (a shallow copy of `original`, the object `bytes` parse to, with some top-level members replaced,
 * added or deleted) as JSON: members whose value is still the very same value keep their bytes, the others are
 * serialised. Repeated keys keep only the last (the one JSON.parse took), so every parser reads what the router
 * read.
 */
export function rewriteTopLevel(
  bytes: Uint8Array,
  original: Readonly<Record<string, unknown>>,
  patched: Readonly<Record<string, unknown>>,
): Buffer {
  const members = knownMembers.get(bytes) ?? topLevelMembers(bytes);
  if (!members) return Buffer.from(JSON.stringify(patched), 'utf8');
  const { parts, length } = memberParts(members, original, patched);
  const source = bufferView(bytes);
  if (length < LARGE_REWRITE_BYTES) return writeParts(source, parts, length);
  const joined: Buffer[] = [OPEN];
  parts.forEach((part, index) => {
    if (index > 0) joined.push(SEPARATOR);
    joined.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : source.subarray(part.start, part.end));
  });
  joined.push(CLOSE);
  return joinWithFramingRoom(joined, length, takeRewriteSpace(bytes));
}

/** Rewritten bodies from this size on (the encoder's LARGE_ANSWER_BODY_BYTES) get room for their answer's framing. */
const LARGE_REWRITE_BYTES = 256 * 1024;

/** A member of the rewritten body: a kept member's byte range in the source, or a new member's JSON. */
type Part = Member | string;

/** The rewritten body's members in `patched`'s key order, and its length in bytes (braces and commas included). */
function memberParts(
  members: readonly Member[],
  original: Readonly<Record<string, unknown>>,
  patched: Readonly<Record<string, unknown>>,
): { parts: Part[]; length: number } {
  const lastOf = new Map<string, Member>();
  for (const member of members) lastOf.set(member.key, member);
  const parts: Part[] = [];
  let length = 2;
  for (const key of Object.keys(patched)) {
    const value = patched[key];
    if (value === undefined) continue;
    const member = lastOf.get(key);
    if (member !== undefined && Object.hasOwn(original, key) && original[key] === value) {
      parts.push(member);
      length += member.end - member.start;
    } else {
      const text = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
      parts.push(text);
      length += Buffer.byteLength(text, 'utf8');
    }
  }
  return { parts, length: length + Math.max(0, parts.length - 1) };
}

/** The parts written into one buffer: kept members copied by range, new ones as text (no Buffer per member). */
function writeParts(source: Buffer, parts: readonly Part[], length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  out[offset++] = OPEN_BRACE;
  parts.forEach((part, index) => {
    if (index > 0) out[offset++] = COMMA;
    offset +=
      typeof part === 'string'
        ? out.write(part, offset, 'utf8')
        : source.copy(out, offset, part.start, part.end);
  });
  out[offset] = CLOSE_BRACE;
  return out;
}

/**
 * Where in prepared shared memory to start the rewrite (0-7) so that its largest part lands at its source's
 * alignment within 8 bytes: V8 copies into shared memory a word at a time only then (else ~3 times slower).
 */
function coAlignedStart(parts: readonly Buffer[]): number {
  let offset = FRAMING_ROOM_BYTES;
  let largest = { length: -1, source: 0, target: 0 };
  for (const part of parts) {
    if (part.length > largest.length)
      largest = { length: part.length, source: part.byteOffset, target: offset };
    offset += part.length;
  }
  return (((largest.source - largest.target) % 8) + 8) % 8;
}

/** Buffer.concat's bytes, allocated with room for the ext_proc answer's fields on either side (framing-room.ts). */
function joinWithFramingRoom(
  parts: readonly Buffer[],
  length: number,
  space: SharedArrayBuffer | undefined,
): Buffer {
  const joined = allocateWithFramingRoom(length, space && { buffer: space, start: coAlignedStart(parts) });
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
