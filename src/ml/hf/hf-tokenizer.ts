// Tokenises texts for a Hugging Face model: character cap, truncation that keeps special tokens, padded int64 feeds.
import { Tokenizer } from '@huggingface/tokenizers';
import type * as ort from 'onnxruntime-node';
import { onnxRuntime } from '../onnx-runtime.ts';
import type { HfModelDir } from './hf-model-dir.ts';
import { HfModelFileError } from './hf-model-dir.ts';
import { alignTokens, type TokenOffset, type TokenSpelling } from './token-offsets.ts';

/** One text's tokens after truncation. */
export interface HfEncoding {
  readonly ids: readonly number[];
  readonly typeIds: readonly number[];
  /** Special tokens ([CLS], [SEP], <s>…) that carry no text. */
  readonly special: readonly boolean[];
  /** Offsets into the original text per token (undefined for special tokens); only when asked for. */
  readonly offsets?: readonly (TokenOffset | undefined)[];
}

/** A padded batch, row-major `[rows, length]`. */
export interface HfBatch {
  readonly rows: number;
  readonly length: number;
  readonly encodings: readonly HfEncoding[];
  readonly inputIds: ort.Tensor;
  readonly attentionMask: ort.Tensor;
  readonly tokenTypeIds: ort.Tensor;
  /** 1 where a real token is, 0 for padding, as numbers (for pooling). */
  readonly mask: Uint8Array;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when some component of the tokenizer.json (pre-tokenizer, decoder…) is byte-level. */
function usesByteLevel(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(usesByteLevel);
  if (!isRecord(value)) return false;
  if (value.type === 'ByteLevel') return true;
  return [value.pretokenizers, value.decoders, value.processors].some(usesByteLevel);
}

/** Components tokenizers.js requires as keys; tokenizer.json files written by hand may leave them out. */
const OPTIONAL_COMPONENTS = {
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: null,
  post_processor: null,
  decoder: null,
};

export class HfTokenizer {
  readonly maxLength: number;
  readonly maxChars: number;
  readonly #tokenizer: Tokenizer;
  readonly #specialIds: ReadonlySet<number>;
  readonly #unknownId: number | undefined;
  readonly #padId: number;
  readonly #spelling: TokenSpelling;

  constructor(files: HfModelDir) {
    this.maxLength = files.maxLength;
    this.maxChars = files.maxChars;
    const json = files.tokenizerJson;
    const fail = (problem: string, cause?: unknown) =>
      new HfModelFileError(files.tokenizerFile, files.modelFile, problem, cause);
    if (!isRecord(json.model)) throw fail("has no 'model'");
    try {
      const complete = { ...OPTIONAL_COMPONENTS, ...json };
      this.#tokenizer = new Tokenizer(complete, files.tokenizerConfig);
    } catch (error) {
      throw fail(`is not a supported tokenizer (${messageOf(error)})`, error);
    }
    const model = json.model;
    const unkToken = typeof model.unk_token === 'string' ? model.unk_token : undefined;
    this.#unknownId = unkToken === undefined ? undefined : this.#tokenizer.token_to_id(unkToken);
    const special = new Set<number>();
    for (const [id, token] of this.#tokenizer.get_added_tokens_decoder()) {
      if (token.special && id !== this.#unknownId) special.add(id);
    }
    this.#specialIds = special;
    this.#padId = this.#findPadId(json, files.tokenizerConfig);
    const normalizer = this.#tokenizer.normalizer;
    this.#spelling = {
      normalize: normalizer === null ? (text) => text : (text) => normalizer.normalize(text),
      byteLevel: usesByteLevel([json.pre_tokenizer, json.decoder]),
      continuingSubwordPrefix:
        typeof model.continuing_subword_prefix === 'string'
          ? model.continuing_subword_prefix
          : model.type === 'WordPiece'
            ? '##'
            : undefined,
      endOfWordSuffix: typeof model.end_of_word_suffix === 'string' ? model.end_of_word_suffix : undefined,
    };
  }

  #findPadId(json: Record<string, unknown>, config: Record<string, unknown>): number {
    const padding = json.padding;
    if (isRecord(padding) && typeof padding.pad_id === 'number') return padding.pad_id;
    const names = [config.pad_token, '[PAD]', '<pad>'];
    for (const name of names) {
      const token = isRecord(name) ? name.content : name;
      if (typeof token !== 'string') continue;
      const id = this.#tokenizer.token_to_id(token);
      if (id !== undefined) return id;
    }
    return 0;
  }

  /** Tokens of one text read up to `maxChars`, truncated to `maxLength` keeping leading and trailing specials. */
  encode(text: string, withOffsets = false): HfEncoding {
    const cut = text.length > this.maxChars ? text.slice(0, this.maxChars) : text;
    const encoded = this.#tokenizer.encode(cut, { return_token_type_ids: true });
    let ids: number[] = encoded.ids;
    let tokens: string[] = encoded.tokens;
    let typeIds: number[] = encoded.token_type_ids ?? ids.map(() => 0);
    if (ids.length > this.maxLength) {
      let head = 0;
      while (head < ids.length && this.#specialIds.has(ids[head] ?? -1)) head++;
      let tail = 0;
      while (tail < ids.length - head && this.#specialIds.has(ids[ids.length - 1 - tail] ?? -1)) tail++;
      const keep = Math.max(0, this.maxLength - head - tail);
      const pick = <T>(xs: readonly T[]): T[] => [
        ...xs.slice(0, head + keep),
        ...xs.slice(xs.length - tail, xs.length),
      ];
      ids = pick(ids);
      tokens = pick(tokens);
      typeIds = pick(typeIds);
    }
    const special = ids.map((id) => this.#specialIds.has(id));
    if (!withOffsets) return { ids, typeIds, special };
    const unknown = ids.map((id) => id === this.#unknownId);
    return { ids, typeIds, special, offsets: alignTokens(cut, tokens, special, unknown, this.#spelling) };
  }

  /** Encodes and pads `texts` to the longest row (at least one column). */
  batch(texts: readonly string[], withOffsets = false): HfBatch {
    return this.pad(texts.map((t) => this.encode(t, withOffsets)));
  }

  /** Pads `encodings` to the longest row (at least one column). */
  pad(encodings: readonly HfEncoding[]): HfBatch {
    const rows = encodings.length;
    const length = Math.max(1, ...encodings.map((e) => e.ids.length));
    const ids = new BigInt64Array(rows * length).fill(BigInt(this.#padId));
    const maskBig = new BigInt64Array(rows * length);
    const types = new BigInt64Array(rows * length);
    const mask = new Uint8Array(rows * length);
    encodings.forEach((e, row) => {
      e.ids.forEach((id, col) => {
        const at = row * length + col;
        ids[at] = BigInt(id);
        maskBig[at] = 1n;
        types[at] = BigInt(e.typeIds[col] ?? 0);
        mask[at] = 1;
      });
    });
    const dims = [rows, length];
    const { Tensor } = onnxRuntime();
    return {
      rows,
      length,
      encodings,
      inputIds: new Tensor('int64', ids, dims),
      attentionMask: new Tensor('int64', maskBig, dims),
      tokenTypeIds: new Tensor('int64', types, dims),
      mask,
    };
  }
}
