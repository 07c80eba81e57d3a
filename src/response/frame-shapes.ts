// Token frames of one stream differ only in their text: recognise them by shape instead of JSON.parse, exactly.
//
// vLLM writes every content chunk of a response as the same JSON with one string changed (`id`, `created` and
// `model` are fixed per response), and Anthropic every text delta. Once a frame has been parsed and found to carry
// nothing but one output string, its text before and after that string literal is a shape: a later frame that is
// the same prefix, a valid JSON string body and the same suffix parses to the same object with another string, so
// it is an output frame exactly when the body is not empty. Frames of any other shape are parsed as usual.
//
// The same holds one level down, for the frame's raw SSE bytes (`event:` line, `data: ` and the blank line
// included): a JSON string body holds no CR or LF, so a frame of the same raw prefix and suffix has the same lines,
// and its data has the data shape. `matchRaw` recognises such frames in a chunk without decoding or parsing them.
import { isObject, type JsonObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';
import { soleOutputString } from './output.ts';

interface FrameShape {
  readonly event: string | undefined;
  /** Data up to and including the opening quote of the output string. */
  readonly prefix: string;
  /** Data from the closing quote of the output string on. */
  readonly suffix: string;
}

interface RawFrameShape {
  /** The frame's bytes up to and including the opening quote of the output string. */
  readonly prefix: Buffer;
  /** The frame's bytes from the closing quote of the output string to the end of its blank line. */
  readonly suffix: Buffer;
}

/** Content and reasoning shapes of chat, text deltas of completions and Anthropic, with room to spare. */
const MAX_SHAPES = 4;
/** Frames whose shape could not be learned (e.g. a server that escapes non-ASCII) before giving up. */
const MAX_FAILED_LESSONS = 16;

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const SIMPLE_ESCAPES = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** The index of the quote that ends the JSON string body starting at bytes[start], or -1 (RFC 8259 §7). */
function jsonStringBodyEnd(bytes: Uint8Array, start: number): number {
  for (let i = start; i < bytes.length; i++) {
    const code = bytes[i] as number;
    if (code === QUOTE) return i;
    if (code < 0x20) return -1;
    if (code !== BACKSLASH) continue;
    const escaped = bytes[++i] as number;
    if (i >= bytes.length) return -1;
    if (SIMPLE_ESCAPES.has(escaped)) continue;
    if (escaped !== 0x75 || i + 4 >= bytes.length) return -1;
    for (let k = 1; k <= 4; k++) if (!isHex(bytes[i + k] as number)) return -1;
    i += 4;
  }
  return -1;
}

/** Whether text[start, end) may stand between the quotes of a JSON string (RFC 8259 §7). */
export function isJsonStringBody(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === QUOTE) return false;
    if (code !== BACKSLASH) continue;
    const escaped = text.charCodeAt(++i);
    if (i >= end) return false;
    if (SIMPLE_ESCAPES.has(escaped)) continue;
    if (escaped !== 0x75 || i + 4 >= end) return false;
    for (let k = 1; k <= 4; k++) if (!isHex(text.charCodeAt(i + k))) return false;
    i += 4;
  }
  return true;
}

/** The shapes of one stream's output frames. */
export class OutputFrameShapes {
  readonly #api: LlmApi;
  readonly #shapes: FrameShape[] = [];
  readonly #rawShapes: RawFrameShape[] = [];
  #failedLessons = 0;
  #rawHadText = false;

  constructor(api: LlmApi) {
    this.#api = api;
  }

  /**
   * The end of the frame of a known raw shape that starts at bytes[start] (then `rawHadText` tells whether it
   * carried output), or -1. Call it only where a frame starts (SseParser.atFrameBoundary) and for frames the parser
   * would read whole: none longer than `maxFrameBytes`.
   */
  matchRaw(bytes: Buffer, start: number, maxFrameBytes: number): number {
    for (const { prefix, suffix } of this.#rawShapes) {
      const bodyStart = start + prefix.length;
      if (bodyStart + suffix.length > bytes.length) continue;
      if (bytes.compare(prefix, 0, prefix.length, start, bodyStart) !== 0) continue;
      const close = jsonStringBodyEnd(bytes, bodyStart);
      const end = close + suffix.length;
      if (close < 0 || end > bytes.length || end - start > maxFrameBytes) continue;
      if (bytes.compare(suffix, 0, suffix.length, close, end) !== 0) continue;
      this.#rawHadText = close > bodyStart;
      return end;
    }
    return -1;
  }

  get hasRawShapes(): boolean {
    return this.#rawShapes.length > 0;
  }

  /** Whether the frame `matchRaw` found last carried output (a non-empty string). */
  get rawHadText(): boolean {
    return this.#rawHadText;
  }

  /** True / false: a known output shape with / without text; undefined: an unknown shape, to be parsed. */
  match(event: string | undefined, data: string): boolean | undefined {
    for (const shape of this.#shapes) {
      if (shape.event !== event) continue;
      const end = data.length - shape.suffix.length;
      if (end < shape.prefix.length) continue;
      // Comparing slices is a memcmp; startsWith / endsWith compare character by character (several times slower).
      if (data.slice(0, shape.prefix.length) !== shape.prefix || data.slice(end) !== shape.suffix) continue;
      if (!isJsonStringBody(data, shape.prefix.length, end)) continue;
      return end > shape.prefix.length;
    }
    return undefined;
  }

  /**
   * Learns the shape of a frame that was just parsed into `json`, when it carries one output string only; with
   * the frame's `raw` bytes, its raw shape too.
   */
  learn(event: string | undefined, data: string, json: JsonObject, raw?: Uint8Array): void {
    if (this.#shapes.length >= MAX_SHAPES || this.#failedLessons >= MAX_FAILED_LESSONS) return;
    const output = soleOutputString(this.#api, json);
    if (output === undefined) return;
    const shape = this.#shapeOf(event, data, output);
    if (shape === undefined) {
      this.#failedLessons++;
      return;
    }
    this.#shapes.push(shape);
    const rawShape = raw && rawShapeOf(raw, output);
    if (rawShape) this.#rawShapes.push(rawShape);
  }

  #shapeOf(event: string | undefined, data: string, output: string): FrameShape | undefined {
    // The string literal must occur once: then it is the one token of the data that holds the output (checked
    // below), whatever the server's spacing and key order.
    const literal = JSON.stringify(output);
    const at = data.indexOf(literal);
    if (at < 0 || data.indexOf(literal, at + 1) >= 0) return undefined;
    const shape = { event, prefix: data.slice(0, at + 1), suffix: data.slice(at + literal.length - 1) };
    // Proof that the literal is the output field: the same data with another string there has that string as output.
    let probe: unknown;
    try {
      probe = JSON.parse(`${shape.prefix}\\u0000${shape.suffix}`);
    } catch {
      return undefined;
    }
    return isObject(probe) && soleOutputString(this.#api, probe) === '\u0000' ? shape : undefined;
  }
}

const CR = 0x0d;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The raw shape of a frame whose data has a shape: its bytes around the output's string literal, which must occur
 * once in them. Not for a frame that starts with a BOM (only the stream's first frame may) or ends with a CR (the
 * parser joins it with an LF that follows: the frame's end would depend on the next byte).
 */
function rawShapeOf(raw: Uint8Array, output: string): RawFrameShape | undefined {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.length === 0 || bytes[bytes.length - 1] === CR) return undefined;
  if (bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) return undefined;
  const literal = Buffer.from(JSON.stringify(output));
  const at = bytes.indexOf(literal);
  if (at < 0 || bytes.indexOf(literal, at + 1) >= 0) return undefined;
  return {
    prefix: Buffer.from(bytes.subarray(0, at + 1)),
    suffix: Buffer.from(bytes.subarray(at + literal.length - 1)),
  };
}
