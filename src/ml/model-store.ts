// Loads WideMLP classifiers for signal families: path resolution, card.json, shared sessions, batched inference.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { findPackageFile } from '../package-files.ts';
import { hfModelDirOf, loadHfSequenceClassifier } from './hf/index.ts';
import { MicroBatcher } from './micro-batcher.ts';
import {
  InferenceError,
  ModelFileError,
  type OnnxModelHandle,
  OnnxSessionPool,
} from './onnx-session-pool.ts';
import { featureFeeds } from './wide-mlp/classifier-runtime.ts';
import { loadWideMlpMetadata, type WideMlpMetadata } from './wide-mlp/metadata.ts';

/** `models/` of the installation: built-in models live in `models/<name>/model.onnx` with a `card.json`. */
/** The built-in models shipped with the router; when absent, errors name the missing file under ./models. */
export const BUILTIN_MODELS_DIR = findPackageFile('models', path.resolve('models'));

/** File name of a model inside a model directory. */
export const MODEL_FILE_NAME = 'model.onnx';

let sharedPool: OnnxSessionPool | undefined;

/**
 * The process-wide session pool used when the caller (the app) does not pass its own, e.g. by the CLI's
 * `validate` and `explain`; handles are released when the policy using them is closed.
 */
export function defaultSessionPool(): OnnxSessionPool {
  sharedPool ??= new OnnxSessionPool();
  return sharedPool;
}

/**
 * Absolute model file for a rule's `model:` value: a file, or a directory holding `model.onnx` (a project model
 * or a Hugging Face export), relative to the policy file's directory; without a value, the built-in model
 * `models/<builtin>/model.onnx`.
 */
export async function resolveModelFile(
  spec: string | undefined,
  policyDir: string,
  builtin: string,
  builtinDir: string = BUILTIN_MODELS_DIR,
): Promise<string> {
  if (spec === undefined) return path.join(builtinDir, builtin, MODEL_FILE_NAME);
  const resolved = path.resolve(policyDir, spec);
  try {
    if ((await stat(resolved)).isDirectory()) return path.join(resolved, MODEL_FILE_NAME);
  } catch {
    // A missing path is reported by the session pool, naming the file.
  }
  return resolved;
}

/** What a model card may tell the router; every field is optional. */
export interface ModelCard {
  /** Recommended decision threshold for the model's positive label, in [0, 1]. */
  readonly threshold?: number;
}

/** Reads `card.json` beside a model file; a missing or unreadable card is an empty card. */
export async function readModelCard(modelFile: string): Promise<ModelCard> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(path.dirname(modelFile), 'card.json'), 'utf8'));
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const record = raw as Record<string, unknown>;
  for (const key of ['threshold', 'recommended_threshold', 'decision_threshold']) {
    const value = record[key];
    if (typeof value === 'number' && value >= 0 && value <= 1) return { threshold: value };
  }
  return {};
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A loaded text classifier a signal family reads label probabilities from: a built-in WideMLP
 * (SignalClassifier) or a Hugging Face sequence classification export.
 */
export interface TextClassifierModel {
  /** Absolute model file, for error messages. */
  readonly file: string;
  /** Class names, in the order of `classify`'s probabilities. */
  readonly labels: readonly string[];
  readonly card: ModelCard;
  /**
   * Characters of a text the model reads whole: longer texts are classified window by window by the guard
   * families that must see every character (see signals/model-windows.ts).
   */
  readonly windowChars: number;
  /** Probabilities per text, in label order. */
  classify(texts: readonly string[]): Promise<Float32Array[]>;
  /** Gives the session back to the shared pool. Idempotent. */
  close(): void;
}

/**
 * A WideMLP classifier for signals. Every text is padded to the featurizer's `maxFeatures` columns, so all
 * requests have one input shape and concurrent calls are merged into one run by a MicroBatcher.
 */
export class SignalClassifier implements TextClassifierModel {
  readonly file: string;
  readonly metadata: WideMlpMetadata;
  readonly card: ModelCard;
  readonly #handle: OnnxModelHandle;
  readonly #batcher: MicroBatcher;
  readonly #width: number;
  #closed = false;

  private constructor(file: string, metadata: WideMlpMetadata, card: ModelCard, handle: OnnxModelHandle) {
    this.file = file;
    this.metadata = metadata;
    this.card = card;
    this.#handle = handle;
    this.#width = Math.max(1, metadata.featurizer.maxFeatures);
    this.#batcher = new MicroBatcher((feeds) => handle.run(feeds), { maxBatch: 32 });
  }

  /** Loads (absolute path) through the pool, checks the metadata and warms the session up once. */
  static async load(pool: OnnxSessionPool, file: string): Promise<SignalClassifier> {
    const handle = await pool.acquire(file);
    try {
      let metadata: WideMlpMetadata;
      try {
        metadata = loadWideMlpMetadata(await readFile(file));
      } catch (error) {
        throw new ModelFileError(file, `is not a WideMLP classifier (${messageOf(error)})`, error);
      }
      if (!handle.outputNames.includes('probabilities')) {
        throw new ModelFileError(file, "has no 'probabilities' output");
      }
      const classifier = new SignalClassifier(file, metadata, await readModelCard(file), handle);
      try {
        await classifier.classify(['warm up']);
      } catch (error) {
        throw new ModelFileError(file, `fails to run (${messageOf(error)})`, error);
      }
      return classifier;
    } catch (error) {
      await handle.release().catch(() => undefined);
      throw error;
    }
  }

  get labels(): readonly string[] {
    return this.metadata.labels;
  }

  get windowChars(): number {
    return this.metadata.featurizer.maxChars;
  }

  /** Calibrated probabilities per text, in label order; texts are read up to the featurizer's `maxChars`. */
  async classify(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    if (this.#closed) throw new InferenceError(`model ${this.file} was released`);
    const out = await this.#batcher.infer(featureFeeds(texts, this.metadata.featurizer, this.#width));
    const probs = out.probabilities?.data;
    const c = this.labels.length;
    if (!(probs instanceof Float32Array) || probs.length !== texts.length * c) {
      throw new InferenceError(`model ${this.file} did not return float32 probabilities for ${c} labels`);
    }
    return texts.map((_, row) => probs.slice(row * c, row * c + c));
  }

  /** Gives the session back to the pool (it is freed when no policy generation uses it). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#handle.release().catch(() => undefined);
  }
}

/** Index and probability of the most probable label. */
export function topLabel(probabilities: Float32Array): { index: number; probability: number } {
  let index = 0;
  for (let k = 1; k < probabilities.length; k++) {
    if ((probabilities[k] ?? 0) > (probabilities[index] ?? 0)) index = k;
  }
  return { index, probability: probabilities[index] ?? 0 };
}

/**
 * Loads a classifier file: the model.onnx of a Hugging Face export directory (tokenizer.json or config.json beside
 * it) as a sequence classifier, any other file as a WideMLP.
 */
export async function loadClassifier(pool: OnnxSessionPool, file: string): Promise<TextClassifierModel> {
  const hfDir = await hfModelDirOf(file);
  if (hfDir === undefined) return SignalClassifier.load(pool, file);
  return loadHfSequenceClassifier(pool, hfDir, { card: await readModelCard(file) });
}

/**
 * Loads every distinct model file once, in order. On failure releases what was loaded and rethrows (a
 * ModelFileError names the file).
 */
export async function loadClassifiers(
  pool: OnnxSessionPool,
  files: readonly string[],
): Promise<Map<string, TextClassifierModel>> {
  const loaded = new Map<string, TextClassifierModel>();
  try {
    for (const file of new Set(files)) loaded.set(file, await loadClassifier(pool, file));
  } catch (error) {
    for (const classifier of loaded.values()) classifier.close();
    throw error;
  }
  return loaded;
}
