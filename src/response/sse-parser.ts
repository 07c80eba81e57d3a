// Incremental Server-Sent Events parser (WHATWG HTML "Parsing an event stream") that keeps every frame's bytes.
//
// Envoy hands a STREAMED response body over in chunks cut anywhere: inside a UTF-8 character, between the `\r` and
// `\n` of a line ending, inside a field name. The parser works on bytes (CR and LF never occur inside a multi-byte
// UTF-8 sequence), decodes only complete lines, and reports each frame with the exact bytes it was made of, so a
// caller can forward the stream byte for byte while leaving some frames out.
import { bufferView } from '../buffer-view.ts';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = [0xef, 0xbb, 0xbf] as const;
const DATA = [0x64, 0x61, 0x74, 0x61] as const;
const EVENT = [0x65, 0x76, 0x65, 0x6e, 0x74] as const;
const ID = [0x69, 0x64] as const;
const RETRY = [0x72, 0x65, 0x74, 0x72, 0x79] as const;

/** 1 MiB: far above any real frame (a chat chunk is a few hundred bytes, a Responses `response.completed` a few KiB). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** Buffers above this size are given back once what they hold shrinks to a quarter of them. */
const SHRINK_ABOVE = 64 * 1024;
const MIN_CAPACITY = 4 * 1024;
const EMPTY = Buffer.alloc(0);

// `ignoreBOM: true` keeps a U+FEFF inside a value: the spec strips a BOM only at the very start of the stream.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * One frame: the lines up to and including the blank line that ends it. Frames without a `data:` line (comments,
 * keep-alives, a stray blank line) are reported too, so that the `raw` bytes of all frames add up to the stream.
 */
export interface SseFrame {
  /** The `event:` field; undefined when absent or empty (the spec's default type, `message`). */
  readonly event: string | undefined;
  /** The `data:` lines joined with `\n`; '' when there were none. */
  readonly data: string;
  /** Whether the frame had a `data:` line: the spec dispatches an event only then. */
  readonly hasData: boolean;
  /** The frame's `id:` field, when it had one (values holding U+0000 are ignored, as the spec says). */
  readonly id: string | undefined;
  /** Lines naming a field the spec does not know (ignored): a sign that the body is not SSE at all. */
  readonly unknownFields: number;
  /**
   * The frame's exact bytes as received, separator included (and a leading BOM in the first frame). It may be a
   * view into a chunk given to `push`: callers must not change chunks after pushing them.
   */
  readonly raw: Uint8Array;
  /**
   * The frame is over `maxFrameBytes`: its fields are dropped (`data` '', `hasData` false) and, so that nothing is
   * buffered, its bytes are reported in pieces as they arrive, all `oversized`; every piece but the last is `partial`.
   */
  readonly oversized?: true;
  /** A piece of an oversized frame that goes on in later pieces. */
  readonly partial?: true;
}

export interface SseParserOptions {
  /** Largest frame whose fields are read (bytes, separator included); default DEFAULT_MAX_FRAME_BYTES. */
  readonly maxFrameBytes?: number;
}

function fieldIs(view: Uint8Array, at: number, end: number, name: readonly number[]): boolean {
  if (end - at !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (view[at + i] !== name[i]) return false;
  return true;
}

/** view[start, end) as a plain Uint8Array view: cheaper to make than Buffer's own subarray (a FastBuffer). */
function bytesOf(view: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset + start, end - start);
}

function isBomPrefix(view: Uint8Array): boolean {
  for (let i = 0; i < view.length && i < BOM.length; i++) if (view[i] !== BOM[i]) return false;
  return true;
}

/**
 * Feed it a stream's chunks in order with `push`, then call `end`. After `end` it is ready for a new stream.
 * Memory: the bytes of one incomplete frame, at most `maxFrameBytes` between calls.
 */
export class SseParser {
  readonly #maxFrameBytes: number;
  /** Bytes received but not reported yet live in #buffer[0, #held). */
  #buffer: Buffer = EMPTY;
  #held = 0;
  /** Offset in the held bytes of the first line not read yet (the lines before it belong to the current frame). */
  #lineStart = 0;
  #streamStart = true;
  /** Inside an oversized frame: only its end (a blank line) is looked for. */
  #discarding = false;
  /** While discarding: the current line already had bytes, reported in an earlier piece. */
  #lineHadBytes = false;
  // Fields of the frame being read.
  #event: string | undefined;
  #id: string | undefined;
  #data: string[] = [];
  #hasData = false;
  #unknownFields = 0;

  constructor(options: SseParserOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`maxFrameBytes must be a positive integer (got ${max})`);
    }
    this.#maxFrameBytes = max;
  }

  /** Bytes pushed but not yet reported in a frame: the incomplete frame (or, at most, one pending `\r`). */
  get bufferedBytes(): number {
    return this.#held;
  }

  /**
   * Nothing is held and the next byte starts a frame (past the stream's start, where a BOM may come): bytes up to
   * a frame's end may be read elsewhere and left out of `push` without changing what the parser reports next.
   */
  get atFrameBoundary(): boolean {
    return this.#held === 0 && !this.#streamStart && !this.#discarding && this.#lineStart === 0;
  }

  /** The frames completed by `chunk` (and pieces of an oversized frame), in stream order. */
  push(chunk: Uint8Array): SseFrame[] {
    const frames: SseFrame[] = [];
    if (chunk.length === 0) return frames;
    // A Buffer view: Buffer.indexOf is a memchr, several times faster than Uint8Array's.
    const bytes = bufferView(chunk);
    let offset = 0;
    // A frame cut by the last chunk boundary is completed line by line, so that only its own bytes are copied
    // (and never more than the limit); the frames after it are read in place.
    let nextLf = -2;
    let nextCr = -2;
    while (this.#held > 0 && offset < bytes.length) {
      if (nextLf !== -1 && nextLf < offset) nextLf = bytes.indexOf(LF, offset);
      if (nextCr !== -1 && nextCr < offset) nextCr = bytes.indexOf(CR, offset);
      const terminator = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      // Never more than one byte past the limit: a huge line is not copied, the frame turns oversized instead.
      const end = Math.min(
        terminator === -1 ? bytes.length : terminator + 1,
        offset + this.#maxFrameBytes + 1 - this.#held,
      );
      this.#append(bytes.subarray(offset, end));
      offset = end;
      this.#scan(this.#buffer.subarray(0, this.#held), true, false, frames);
    }
    if (offset === 0) this.#scan(bytes, false, false, frames);
    else if (offset < bytes.length) this.#scan(bytes.subarray(offset), false, false, frames);
    return frames;
  }

  /** The last frame, when the stream ends without a blank line after it; then resets for a new stream. */
  end(): SseFrame[] {
    const frames: SseFrame[] = [];
    this.#scan(this.#buffer.subarray(0, this.#held), true, true, frames);
    this.#reset();
    return frames;
  }

  /**
   * Reads the lines of `view` (held bytes, then the new chunk) from #lineStart. `copy`: the view is our own buffer,
   * so the frames must get copies. `ending`: no more bytes will come.
   */
  #scan(view: Buffer, copy: boolean, ending: boolean, frames: SseFrame[]): void {
    const length = view.length;
    let frameStart = 0;
    let pos = this.#lineStart;
    if (this.#streamStart) {
      if (!ending && length < BOM.length && isBomPrefix(view)) {
        this.#keep(view, 0, copy);
        return;
      }
      this.#streamStart = false;
      if (length >= BOM.length && isBomPrefix(view)) pos = BOM.length;
    }
    // Next LF / CR at or after `pos`; -2 = not searched yet, -1 = none left in the view.
    let nextLf = -2;
    let nextCr = -2;
    let waitingCr = false;
    for (;;) {
      if (nextLf !== -1 && nextLf < pos) nextLf = view.indexOf(LF, pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = view.indexOf(CR, pos);
      let end: number;
      if (nextLf === -1) end = nextCr;
      else if (nextCr === -1) end = nextLf;
      else end = Math.min(nextLf, nextCr);
      if (end === -1) break;
      let next = end + 1;
      if (view[end] === CR) {
        // A CR at the very end may be the first half of a CRLF: wait for the next byte (unless there is none).
        if (next === length && !ending) {
          waitingCr = true;
          break;
        }
        if (view[next] === LF) next++;
      }
      const blank = end === pos && !this.#lineHadBytes;
      this.#lineHadBytes = false;
      if (blank) {
        this.#emit(frames, view, frameStart, next, copy, false);
        frameStart = next;
      } else if (!this.#discarding) {
        this.#readLine(view, pos, end);
      }
      pos = next;
    }

    const contentEnd = waitingCr ? length - 1 : length;
    if (ending) {
      if (!this.#discarding && pos < length) this.#readLine(view, pos, length);
      if (this.#discarding || length > frameStart) this.#emit(frames, view, frameStart, length, copy, false);
      return;
    }
    if (!this.#discarding && length - frameStart > this.#maxFrameBytes) {
      // The frame outgrows the limit: report what we have and from now on only look for its end.
      this.#discarding = true;
      this.#clearFields();
    }
    if (this.#discarding) {
      this.#lineHadBytes ||= contentEnd > pos;
      if (contentEnd > frameStart) this.#emit(frames, view, frameStart, contentEnd, copy, true);
      this.#keep(view, contentEnd, copy);
      this.#lineStart = 0;
    } else {
      this.#keep(view, frameStart, copy);
      this.#lineStart = pos - frameStart;
    }
  }

  /** One complete, non-blank line [start, end) of the current frame. */
  #readLine(view: Uint8Array, start: number, end: number): void {
    if (view[start] === COLON) return; // a comment
    let colon = start;
    while (colon < end && view[colon] !== COLON) colon++;
    let valueStart = colon < end ? colon + 1 : end;
    if (valueStart < end && view[valueStart] === SPACE) valueStart++;
    if (fieldIs(view, start, colon, DATA)) {
      this.#data.push(utf8.decode(bytesOf(view, valueStart, end)));
      this.#hasData = true;
    } else if (fieldIs(view, start, colon, EVENT)) {
      this.#event = utf8.decode(bytesOf(view, valueStart, end));
    } else if (fieldIs(view, start, colon, ID)) {
      const id = utf8.decode(bytesOf(view, valueStart, end));
      if (!id.includes('\0')) this.#id = id;
    } else if (!fieldIs(view, start, colon, RETRY)) {
      this.#unknownFields++;
    }
  }

  /** Reports view[start, end): a whole frame, the last piece of an oversized one, or (`partial`) a piece of one. */
  #emit(frames: SseFrame[], view: Buffer, start: number, end: number, copy: boolean, partial: boolean): void {
    // Buffer.from(buffer) copies (Buffer's own `slice` would not).
    const raw = copy ? Buffer.from(bytesOf(view, start, end)) : bytesOf(view, start, end);
    const oversized = this.#discarding || end - start > this.#maxFrameBytes;
    if (oversized) {
      frames.push({
        event: undefined,
        data: '',
        hasData: false,
        id: undefined,
        unknownFields: 0,
        raw,
        oversized: true,
        ...(partial && { partial: true as const }),
      });
    } else {
      const data = this.#data.length === 1 ? (this.#data[0] as string) : this.#data.join('\n');
      frames.push({
        event: this.#event === '' ? undefined : this.#event,
        data,
        hasData: this.#hasData,
        id: this.#id,
        unknownFields: this.#unknownFields,
        raw,
      });
    }
    if (!partial) {
      this.#discarding = false;
      this.#clearFields();
    }
  }

  #clearFields(): void {
    this.#event = undefined;
    this.#id = undefined;
    this.#data = [];
    this.#hasData = false;
    this.#unknownFields = 0;
  }

  #reset(): void {
    this.#clearFields();
    this.#buffer = EMPTY;
    this.#held = 0;
    this.#lineStart = 0;
    this.#streamStart = true;
    this.#discarding = false;
    this.#lineHadBytes = false;
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#held + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2, MIN_CAPACITY));
      grown.set(this.#buffer.subarray(0, this.#held));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#held);
    this.#held = needed;
  }

  /** Holds view[from, end) for the next push; `viewIsBuffer`: the view is #buffer itself. */
  #keep(view: Buffer, from: number, viewIsBuffer: boolean): void {
    const length = view.length - from;
    const shrink = this.#buffer.length > SHRINK_ABOVE && length * 4 < this.#buffer.length;
    if (length === 0) {
      if (shrink) this.#buffer = EMPTY;
    } else if (shrink || (!viewIsBuffer && length > this.#buffer.length)) {
      const next = Buffer.allocUnsafe(Math.max(length * 2, MIN_CAPACITY));
      next.set(view.subarray(from));
      this.#buffer = next;
    } else if (viewIsBuffer) {
      if (from > 0) this.#buffer.copyWithin(0, from, view.length);
    } else {
      this.#buffer.set(view.subarray(from));
    }
    this.#held = length;
  }
}
