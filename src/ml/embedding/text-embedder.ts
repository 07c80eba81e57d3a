// Runs an exported embedding model for signal families: shared sessions, batched inference, unit-norm vectors.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hfModelDirOf, loadHfTextEmbedder } from '../hf/index.ts';
import { isLexicalModelDir, LexicalEmbedder } from '../lexical/lexical-embedder.ts';
import { MicroBatcher } from '../micro-batcher.ts';
import {
  InferenceError,
  ModelFileError,
  type OnnxModelHandle,
  type OnnxSessionPool,
} from '../onnx-session-pool.ts';
import { featureFeeds } from '../wide-mlp/classifier-runtime.ts';
import { EMBEDDING_OUTPUT, type EmbeddingMetadata, loadEmbeddingMetadata } from './embedding-metadata.ts';

/** Most texts one `embed` call sends per model run (larger lists are split). */
export const EMBED_CHUNK = 32;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A loaded text embedding model a signal family compares texts with: a built-in WideMLP embedder (TextEmbedder) or
 * a Hugging Face feature extraction export.
 */
export interface TextEmbeddingModel {
  /** Absolute model file, for error messages and as the per-request cache key. */
  readonly file: string;
  /** Width of the vectors. */
  readonly dim: number;
  /** Unit-norm (or zero) embeddings, one per text. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Maps a raw cosine of two of its embeddings onto the scale thresholds are written in (identity when absent). */
  readonly calibrate?: (raw: number) => number;
  /** Calibrated similarity below which two texts are no more alike than unrelated ones usually are. */
  readonly noiseFloor?: number;
  /** Gives the session back to the shared pool. Idempotent. */
  close(): void;
}

/**
 * A text embedding model. Texts are padded to the featurizer's `maxFeatures` columns, so every request has one
 * input shape and concurrent calls are merged into one run by a MicroBatcher.
 */
export class TextEmbedder implements TextEmbeddingModel {
  readonly file: string;
  readonly metadata: EmbeddingMetadata;
  readonly #batcher: MicroBatcher;
  readonly #handle: OnnxModelHandle;
  readonly #width: number;
  #closed = false;

  private constructor(file: string, metadata: EmbeddingMetadata, handle: OnnxModelHandle) {
    this.file = file;
    this.metadata = metadata;
    this.#handle = handle;
    this.#width = Math.max(1, metadata.featurizer.maxFeatures);
    this.#batcher = new MicroBatcher((feeds) => handle.run(feeds), { maxBatch: EMBED_CHUNK });
  }

  /** Loads (absolute path) through the pool, checks the metadata and warms the session up once. */
  static async load(pool: OnnxSessionPool, file: string): Promise<TextEmbedder> {
    const handle = await pool.acquire(file);
    try {
      let metadata: EmbeddingMetadata;
      try {
        metadata = loadEmbeddingMetadata(await readFile(file));
      } catch (error) {
        throw new ModelFileError(file, `is not a text embedding model (${messageOf(error)})`, error);
      }
      if (!handle.outputNames.includes(EMBEDDING_OUTPUT)) {
        throw new ModelFileError(file, `has no '${EMBEDDING_OUTPUT}' output`);
      }
      const embedder = new TextEmbedder(file, metadata, handle);
      try {
        await embedder.embed(['warm up']);
      } catch (error) {
        throw new ModelFileError(file, `fails to run (${messageOf(error)})`, error);
      }
      return embedder;
    } catch (error) {
      await handle.release().catch(() => undefined);
      throw error;
    }
  }

  get dim(): number {
    return this.metadata.dim;
  }

  /** Unit-norm (or zero) embeddings, one per text; texts are read up to the featurizer's `maxChars`. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += EMBED_CHUNK) {
      out.push(...(await this.#embedChunk(texts.slice(start, start + EMBED_CHUNK))));
    }
    return out;
  }

  async #embedChunk(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    if (this.#closed) throw new InferenceError(`model ${this.file} was released`);
    const result = await this.#batcher.infer(featureFeeds(texts, this.metadata.featurizer, this.#width));
    const data = result[EMBEDDING_OUTPUT]?.data;
    const d = this.dim;
    if (!(data instanceof Float32Array) || data.length !== texts.length * d) {
      throw new InferenceError(`model ${this.file} did not return float32 embeddings of width ${d}`);
    }
    return texts.map((_, row) => data.slice(row * d, row * d + d));
  }

  /** Gives the session back to the pool. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#handle.release().catch(() => undefined);
  }
}

/**
 * Loads an embedding model file: the lexical similarity model when its directory holds one, a Hugging Face export's
 * model.onnx as a feature extractor, else a WideMLP.
 */
export async function loadEmbedder(pool: OnnxSessionPool, file: string): Promise<TextEmbeddingModel> {
  if (await isLexicalModelDir(path.dirname(file))) return LexicalEmbedder.load(path.dirname(file));
  const hfDir = await hfModelDirOf(file);
  return hfDir === undefined ? TextEmbedder.load(pool, file) : loadHfTextEmbedder(pool, hfDir);
}

/** Loads every distinct model file once; on failure releases what was loaded and rethrows. */
export async function loadEmbedders(
  pool: OnnxSessionPool,
  files: readonly string[],
): Promise<Map<string, TextEmbeddingModel>> {
  const loaded = new Map<string, TextEmbeddingModel>();
  try {
    for (const file of new Set(files)) loaded.set(file, await loadEmbedder(pool, file));
  } catch (error) {
    for (const embedder of loaded.values()) embedder.close();
    throw error;
  }
  return loaded;
}
