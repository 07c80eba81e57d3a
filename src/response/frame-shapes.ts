// Token frames of one stream differ only in their text: recognise them by shape instead of JSON.parse, exactly.
//
// vLLM writes every content chunk of a response as the same JSON with one string changed (`id`, `created` and
// `model` are fixed per response), and Anthropic every text delta. Once a frame has been parsed and found to carry
// nothing but one output string, its text before and after that string literal is a shape: a later frame that is
// the same prefix, a valid JSON string body and the same suffix parses to the same object with another string, so
// it is an output frame exactly when the body is not empty. Frames of any other shape are parsed as usual.
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
  #failedLessons = 0;

  constructor(api: LlmApi) {
    this.#api = api;
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

  /** Learns the shape of a frame that was just parsed into `json`, when it carries one output string only. */
  learn(event: string | undefined, data: string, json: JsonObject): void {
    if (this.#shapes.length >= MAX_SHAPES || this.#failedLessons >= MAX_FAILED_LESSONS) return;
    const output = soleOutputString(this.#api, json);
    if (output === undefined) return;
    const shape = this.#shapeOf(event, data, output);
    if (shape === undefined) this.#failedLessons++;
    else this.#shapes.push(shape);
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
