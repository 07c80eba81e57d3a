// The file format of a learned selection model: a JSON header plus one binary file of little-endian tensors.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SelectionFeaturizer, validateSelectionFeaturizer } from './selection-features.ts';

export const SELECTION_MODEL_FORMAT = 'semantic-router/selection-model';
export const SELECTION_MODEL_VERSION = 1;

export const LEARNED_ALGORITHMS = ['knn', 'kmeans', 'svm', 'mlp'] as const;
export type LearnedAlgorithm = (typeof LEARNED_ALGORITHMS)[number];

export const TENSOR_TYPES = { f32: Float32Array, i32: Int32Array, u16: Uint16Array, u8: Uint8Array } as const;
export type TensorType = keyof typeof TENSOR_TYPES;
export type Tensor = Float32Array | Int32Array | Uint16Array | Uint8Array;

/** A model the trained selector knows the answers of (a column of the routing-outcome data). */
export interface SelectionProfile {
  readonly name: string;
  /** Share of training prompts it answered correctly. */
  readonly prior: number;
  /** Mean cost per training prompt, in the model's `costUnit`. */
  readonly meanCost: number;
}

export interface TensorEntry {
  readonly type: TensorType;
  /** Byte offset in the binary file (a multiple of 4). */
  readonly offset: number;
  /** Number of elements. */
  readonly length: number;
}

/** The JSON half of a model file. */
export interface SelectionModelHeader {
  readonly format: typeof SELECTION_MODEL_FORMAT;
  readonly version: typeof SELECTION_MODEL_VERSION;
  readonly algorithm: LearnedAlgorithm;
  /** The routing-outcome data it was trained on (`mmlu-pro`, `routerbench`). */
  readonly dataset: string;
  /** `usd` (routerbench) or `output_chars` (MMLU-Pro: no prices, output length as the proxy). */
  readonly costUnit: string;
  readonly profiles: readonly SelectionProfile[];
  readonly featurizer: Record<string, unknown>;
  /** Algorithm settings (k, clusters, hidden units, …). */
  readonly params: Readonly<Record<string, number>>;
  /**
   * 101 quantiles (0 %, 1 %, … 100 %) of the predicted difficulty (1 − mean predicted success over the profiles)
   * of the training prompts: maps a `strong_share` to a difficulty threshold.
   */
  readonly difficultyQuantiles: readonly number[];
  /** File name of the binary half, beside this file. */
  readonly tensorFile: string;
  readonly tensorSha256: string;
  readonly tensors: Readonly<Record<string, TensorEntry>>;
}

/** A model file that is missing, unreadable, or not what its header says. */
export class SelectionModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SelectionModelError';
  }
}

export interface LoadedSelectionModel {
  readonly file: string;
  readonly header: SelectionModelHeader;
  readonly featurizer: SelectionFeaturizer;
  tensor<T extends TensorType>(name: string, type: T, length: number): InstanceType<(typeof TENSOR_TYPES)[T]>;
}

function checkHeader(raw: unknown, file: string): SelectionModelHeader {
  const h = raw as Partial<SelectionModelHeader> | null;
  const fail = (what: string): never => {
    throw new SelectionModelError(`${file}: not a selection model (${what})`);
  };
  if (typeof h !== 'object' || h === null) return fail('not a JSON object');
  if (h.format !== SELECTION_MODEL_FORMAT) fail(`format is not '${SELECTION_MODEL_FORMAT}'`);
  if (h.version !== SELECTION_MODEL_VERSION) fail(`version ${String(h.version)}, this router reads 1`);
  if (!LEARNED_ALGORITHMS.includes(h.algorithm as LearnedAlgorithm)) fail(`unknown algorithm ${h.algorithm}`);
  if (!Array.isArray(h.profiles) || h.profiles.length === 0) fail('no profiles');
  for (const p of h.profiles ?? []) {
    if (typeof p?.name !== 'string' || typeof p.prior !== 'number' || typeof p.meanCost !== 'number')
      fail('a profile lacks name, prior or meanCost');
  }
  if (!Array.isArray(h.difficultyQuantiles) || h.difficultyQuantiles.length !== 101)
    fail('difficultyQuantiles must hold 101 numbers');
  if (typeof h.tensorFile !== 'string' || path.basename(h.tensorFile) !== h.tensorFile)
    fail('tensorFile must be a file name beside the header');
  if (typeof h.tensors !== 'object' || h.tensors === null) fail('no tensors');
  if (typeof h.params !== 'object' || h.params === null) fail('no params');
  return h as SelectionModelHeader;
}

/** Reads and checks a model file (header, tensor checksum, tensor bounds); throws SelectionModelError. */
export function readSelectionModel(file: string): LoadedSelectionModel {
  let header: SelectionModelHeader;
  try {
    header = checkHeader(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch (error) {
    if (error instanceof SelectionModelError) throw error;
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SelectionModelError(`cannot read selection model ${file}: ${reason}`, { cause: error });
  }
  const binFile = path.join(path.dirname(file), header.tensorFile);
  let bytes: Buffer;
  try {
    bytes = readFileSync(binFile);
  } catch (error) {
    throw new SelectionModelError(`cannot read the tensors of ${file}: ${binFile}: no such file`, {
      cause: error,
    });
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== header.tensorSha256) {
    throw new SelectionModelError(`${binFile} is corrupt: its sha256 differs from the one in ${file}`);
  }
  let featurizer: SelectionFeaturizer;
  const tensor = <T extends TensorType>(name: string, type: T, length: number) => {
    const entry = header.tensors[name];
    if (entry === undefined) throw new SelectionModelError(`${file}: tensor '${name}' is missing`);
    const Type = TENSOR_TYPES[type];
    if (entry.type !== type || entry.length !== length || entry.offset % 4 !== 0) {
      throw new SelectionModelError(
        `${file}: tensor '${name}' is ${entry.type}[${entry.length}], expected ${type}[${length}]`,
      );
    }
    if (entry.offset + length * Type.BYTES_PER_ELEMENT > bytes.length) {
      throw new SelectionModelError(`${file}: tensor '${name}' runs past the end of ${header.tensorFile}`);
    }
    // A copy: aligned, and independent of the file buffer.
    const copy = new Uint8Array(bytes.subarray(entry.offset, entry.offset + length * Type.BYTES_PER_ELEMENT));
    return new Type(copy.buffer) as InstanceType<(typeof TENSOR_TYPES)[T]>;
  };
  try {
    const config = validateSelectionFeaturizer(header.featurizer);
    featurizer = new SelectionFeaturizer(config, tensor('idf', 'f32', config.buckets));
  } catch (error) {
    if (error instanceof SelectionModelError) throw error;
    throw new SelectionModelError(`${file}: ${(error as Error).message}`, { cause: error });
  }
  return { file, header, featurizer, tensor };
}
