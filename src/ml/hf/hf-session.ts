// A Hugging Face export's shared session plus its tokenizer: feeds the inputs the graph declares, in bounded batches
// shared by concurrent callers.
import {
  type Feeds,
  InferenceError,
  type OnnxModelHandle,
  type OnnxSessionPool,
} from '../onnx-session-pool.ts';
import { type HfModelDir, type HfModelDirOptions, HfModelFileError, readHfModelDir } from './hf-model-dir.ts';
import { type HfBatch, type HfEncoding, HfTokenizer } from './hf-tokenizer.ts';
import { RowBatcher } from './row-batcher.ts';

/** Most texts per model run; longer lists, and concurrent callers' texts together, are split. */
export const HF_BATCH = 32;

const INPUT_IDS = 'input_ids';
const ATTENTION_MASK = 'attention_mask';
const TOKEN_TYPE_IDS = 'token_type_ids';
const FEEDABLE = new Set([INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS]);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One model run's tokens and outputs; rows `[start, end)` of it are the caller's texts, in order. */
export interface HfRun {
  readonly batch: HfBatch;
  readonly outputs: Feeds;
  readonly start: number;
  readonly end: number;
}

type BatchRun = Pick<HfRun, 'batch' | 'outputs'>;

export class HfSession {
  readonly files: HfModelDir;
  readonly tokenizer: HfTokenizer;
  readonly #handle: OnnxModelHandle;
  readonly #batcher: RowBatcher<HfEncoding, BatchRun>;
  #closed = false;

  private constructor(files: HfModelDir, tokenizer: HfTokenizer, handle: OnnxModelHandle) {
    this.files = files;
    this.tokenizer = tokenizer;
    this.#handle = handle;
    this.#batcher = new RowBatcher((encodings) => this.#runBatch(encodings), HF_BATCH);
  }

  /** Reads the directory, acquires the session and checks its inputs; nothing is held when it throws. */
  static async open(pool: OnnxSessionPool, dir: string, options: HfModelDirOptions = {}): Promise<HfSession> {
    const files = await readHfModelDir(dir, options);
    const tokenizer = new HfTokenizer(files);
    const handle = await pool.acquire(files.modelFile);
    try {
      const unknown = handle.inputNames.filter((name) => !FEEDABLE.has(name));
      if (!handle.inputNames.includes(INPUT_IDS) || unknown.length > 0) {
        throw new HfModelFileError(
          files.modelFile,
          files.modelFile,
          `has inputs [${handle.inputNames.join(', ')}]; expected input_ids and optionally attention_mask, token_type_ids`,
        );
      }
      return new HfSession(files, tokenizer, handle);
    } catch (error) {
      await handle.release().catch(() => undefined);
      throw error;
    }
  }

  get file(): string {
    return this.files.modelFile;
  }

  get outputNames(): readonly string[] {
    return this.#handle.outputNames;
  }

  /**
   * Runs `texts` together with those of concurrent callers, in runs of at most HF_BATCH texts, each padded to its
   * longest row. Each returned run says which of its rows are this caller's.
   */
  async run(texts: readonly string[], withOffsets = false): Promise<HfRun[]> {
    if (this.#closed) throw this.#released();
    const encodings = texts.map((text) => this.tokenizer.encode(text, withOffsets));
    const slices = await this.#batcher.submit(encodings);
    return slices.map(({ result, start, end }) => ({ ...result, start, end }));
  }

  async #runBatch(encodings: readonly HfEncoding[]): Promise<BatchRun> {
    try {
      if (this.#closed) throw this.#released();
      const batch = this.tokenizer.pad(encodings);
      const feeds: Feeds = {};
      for (const name of this.#handle.inputNames) {
        if (name === INPUT_IDS) feeds[name] = batch.inputIds;
        else if (name === ATTENTION_MASK) feeds[name] = batch.attentionMask;
        else if (name === TOKEN_TYPE_IDS) feeds[name] = batch.tokenTypeIds;
      }
      return { batch, outputs: await this.#handle.run(feeds) };
    } catch (error) {
      if (error instanceof InferenceError) throw error;
      throw new InferenceError(`inference with ${this.file} failed: ${messageOf(error)}`, { cause: error });
    }
  }

  #released(): InferenceError {
    return new InferenceError(`model ${this.file} was released`);
  }

  /** Runs `warmUp` once; a failure becomes a ModelFileError and releases the session. */
  async warmUp(check: () => Promise<unknown>): Promise<void> {
    try {
      await check();
    } catch (error) {
      this.close();
      if (error instanceof HfModelFileError) throw error;
      throw new HfModelFileError(this.file, this.file, `fails to run (${messageOf(error)})`, error);
    }
  }

  /** Gives the session back to the pool. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batcher.close(this.#released());
    void this.#handle.release().catch(() => undefined);
  }
}

/** The float32 output `name` with its dims, or an InferenceError. */
export function floatOutput(
  outputs: Feeds,
  name: string,
  file: string,
): { data: Float32Array; dims: number[] } {
  const tensor = outputs[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) {
    throw new InferenceError(`model ${file} did not return a float32 '${name}' output`);
  }
  return { data: tensor.data, dims: [...tensor.dims] };
}
