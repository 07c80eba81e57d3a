// The built-in PII entity model at run time: tokens → hashed cues → ONNX WideMLP per token → merged spans.
import { readFile } from 'node:fs/promises';
import { yieldToEventLoop } from '../../event-loop.ts';
import { MicroBatcher } from '../micro-batcher.ts';
import { onnxRuntime } from '../onnx-runtime.ts';
import {
  type Feeds,
  InferenceError,
  ModelFileError,
  type OnnxModelHandle,
  type OnnxSessionPool,
} from '../onnx-session-pool.ts';
import type { EntitySpan, SpanModel } from '../span-model.ts';
import { decodeSpans } from './spans.ts';
import { loadTokenTaggerMetadata, type TokenTaggerMetadata } from './tagger-metadata.ts';
import { rangeFeatures, tokenViews } from './token-features.ts';
import { type Token, tokenizeWithOffsets } from './tokens.ts';

/** Token rows per merged inference; one long text alone may exceed it (it then runs by itself). */
const MAX_BATCH_ROWS = 512;

/** Tokens featurized per event-loop turn (about 1 ms), so a long prompt never blocks the loop for long. */
const FEATURE_SLICE = 128;

/** `feature_ids` / `feature_mask` feeds of token feature rows, `width` columns each. */
export function tokenFeeds(rows: readonly Int32Array[], width: number): Feeds {
  const ids = new BigInt64Array(rows.length * width);
  const mask = new Float32Array(rows.length * width);
  rows.forEach((f, row) => {
    const used = Math.min(width, f.length);
    for (let k = 0; k < used; k++) {
      ids[row * width + k] = BigInt(f[k] ?? 0);
      mask[row * width + k] = 1;
    }
  });
  const { Tensor } = onnxRuntime();
  return {
    feature_ids: new Tensor('int64', ids, [rows.length, width]),
    feature_mask: new Tensor('float32', mask, [rows.length, width]),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A token tagger written by `semantic-router train --task pii`. Texts are read up to the featurizer's `maxChars`
 * and `maxTokens`, so a megabyte prompt costs the same as a short one; concurrent calls share one run.
 */
export class TokenTagger implements SpanModel {
  readonly file: string;
  readonly metadata: TokenTaggerMetadata;
  readonly #handle: OnnxModelHandle;
  readonly #batcher: MicroBatcher;
  #closed = false;

  private constructor(file: string, metadata: TokenTaggerMetadata, handle: OnnxModelHandle) {
    this.file = file;
    this.metadata = metadata;
    this.#handle = handle;
    this.#batcher = new MicroBatcher((feeds) => handle.run(feeds), { maxBatch: MAX_BATCH_ROWS });
  }

  /** Loads an exported tagger (absolute path) through the pool, checks it and warms it up. */
  static async load(pool: OnnxSessionPool, file: string, bytes?: Uint8Array): Promise<TokenTagger> {
    const handle = await pool.acquire(file);
    try {
      let metadata: TokenTaggerMetadata;
      try {
        metadata = loadTokenTaggerMetadata(bytes ?? (await readFile(file)));
      } catch (error) {
        throw new ModelFileError(file, `is not a token tagger (${messageOf(error)})`, error);
      }
      if (!handle.outputNames.includes('probabilities')) {
        throw new ModelFileError(file, "has no 'probabilities' output");
      }
      const tagger = new TokenTagger(file, metadata, handle);
      try {
        await tagger.spans(['Warm up, Mr Smith.']);
      } catch (error) {
        throw new ModelFileError(file, `fails to run (${messageOf(error)})`, error);
      }
      return tagger;
    } catch (error) {
      await handle.release().catch(() => undefined);
      throw error;
    }
  }

  /** Characters tagged whole: the featurizer's limits, at three characters per token at worst. */
  get windowChars(): number {
    const { maxChars, maxTokens } = this.metadata.featurizer;
    return Math.max(64, Math.min(maxChars, maxTokens * 3));
  }

  /** Entity labels (without `O`). */
  get labels(): readonly string[] {
    return this.metadata.labels.slice(1);
  }

  /** Per-token probabilities of each text's tokens (row-major, `metadata.labels` columns). */
  async tokenProbabilities(texts: readonly string[]): Promise<{ tokens: Token[][]; probs: Float32Array[] }> {
    if (this.#closed) throw new InferenceError(`model ${this.file} was released`);
    const { featurizer, labels } = this.metadata;
    const tokens = texts.map((t) => tokenizeWithOffsets(t, featurizer.maxChars, featurizer.maxTokens));
    const rows: Int32Array[] = [];
    let sinceYield = 0;
    for (let i = 0; i < texts.length; i++) {
      const textTokens = tokens[i] ?? [];
      const views = tokenViews(texts[i] ?? '', textTokens);
      for (let from = 0; from < textTokens.length; from += FEATURE_SLICE) {
        if (sinceYield >= FEATURE_SLICE) {
          await yieldToEventLoop();
          sinceYield = 0;
        }
        const slice = rangeFeatures(views, featurizer, from, from + FEATURE_SLICE);
        for (const row of slice) rows.push(row);
        sinceYield += slice.length;
      }
    }
    const c = labels.length;
    if (rows.length === 0) return { tokens, probs: texts.map(() => new Float32Array(0)) };
    const out = await this.#batcher.infer(tokenFeeds(rows, featurizer.maxFeatures));
    const data = out.probabilities?.data;
    if (!(data instanceof Float32Array) || data.length !== rows.length * c) {
      throw new InferenceError(`model ${this.file} did not return float32 probabilities for ${c} labels`);
    }
    let offset = 0;
    const probs = tokens.map((t) => {
      const slice = data.subarray(offset * c, (offset + t.length) * c);
      offset += t.length;
      return slice;
    });
    return { tokens, probs };
  }

  async spans(texts: readonly string[]): Promise<EntitySpan[][]> {
    if (texts.length === 0) return [];
    const { tokens, probs } = await this.tokenProbabilities(texts);
    return texts.map((text, i) =>
      decodeSpans(text, tokens[i] ?? [], this.metadata.labels, probs[i] ?? new Float32Array(0)),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#handle.release().catch(() => undefined);
  }
}
