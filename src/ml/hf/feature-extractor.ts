// Hugging Face feature extraction export as a text embedder: mean pooling over the attention mask, unit length.
import type { TextEmbeddingModel } from '../embedding/text-embedder.ts';
import { InferenceError, type OnnxSessionPool } from '../onnx-session-pool.ts';
import { type HfModelDirOptions, HfModelFileError } from './hf-model-dir.ts';
import { floatOutput, type HfRun, HfSession } from './hf-session.ts';
import type { HfBatch } from './hf-tokenizer.ts';

/** Already pooled by the export (sentence-transformers); used as is, then normalised. */
const SENTENCE_EMBEDDING = 'sentence_embedding';
const LAST_HIDDEN_STATE = 'last_hidden_state';
const TOKEN_EMBEDDINGS = 'token_embeddings';
/** BERT's pooler ([CLS] through a tanh layer) is a last resort: it is not trained for similarity. */
const POOLER_OUTPUT = 'pooler_output';
const OUTPUT_PREFERENCE = [SENTENCE_EMBEDDING, LAST_HIDDEN_STATE, TOKEN_EMBEDDINGS, POOLER_OUTPUT];

function normalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 1e-12) for (let k = 0; k < v.length; k++) v[k] = (v[k] ?? 0) / norm;
  return v;
}

/** Mean of row `row`'s hidden states over its real tokens. */
function meanPool(batch: HfBatch, row: number, hidden: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const sums = new Float64Array(dim);
  let count = 0;
  for (let col = 0; col < batch.length; col++) {
    if (batch.mask[row * batch.length + col] !== 1) continue;
    count++;
    const base = (row * batch.length + col) * dim;
    for (let k = 0; k < dim; k++) sums[k] = (sums[k] ?? 0) + (hidden[base + k] ?? 0);
  }
  for (let k = 0; k < dim; k++) out[k] = count === 0 ? 0 : (sums[k] ?? 0) / count;
  return out;
}

/** Unit-length sentence embeddings from a Hugging Face encoder export. */
export class HfTextEmbedder implements TextEmbeddingModel {
  readonly #session: HfSession;
  readonly #output: string;
  #dim = 0;

  private constructor(session: HfSession, output: string) {
    this.#session = session;
    this.#output = output;
  }

  get file(): string {
    return this.#session.file;
  }

  /** Width of the vectors (known after the warm-up run at load). */
  get dim(): number {
    return this.#dim;
  }

  static async load(
    pool: OnnxSessionPool,
    dir: string,
    options: HfModelDirOptions = {},
  ): Promise<HfTextEmbedder> {
    const session = await HfSession.open(pool, dir, options);
    const output = OUTPUT_PREFERENCE.find((name) => session.outputNames.includes(name));
    if (output === undefined) {
      session.close();
      throw new HfModelFileError(
        session.file,
        session.file,
        `has none of the outputs ${OUTPUT_PREFERENCE.join(', ')} (outputs: ${session.outputNames.join(', ')})`,
      );
    }
    const embedder = new HfTextEmbedder(session, output);
    await session.warmUp(async () => {
      const [vector] = await embedder.embed(['warm up']);
      embedder.#dim = vector?.length ?? 0;
      if (embedder.#dim === 0) throw new InferenceError('the model returned empty vectors');
    });
    return embedder;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const run of await this.#session.run(texts)) out.push(...this.#vectors(run));
    return out;
  }

  /** The vectors of the caller's rows of `run`. */
  #vectors({ batch, outputs, start, end }: HfRun): Float32Array[] {
    const { data, dims } = floatOutput(outputs, this.#output, this.file);
    const vectors: Float32Array[] = [];
    if (dims.length === 3 && dims[0] === batch.rows && dims[1] === batch.length) {
      const dim = dims[2] ?? 0;
      for (let row = start; row < end; row++) vectors.push(normalizeInPlace(meanPool(batch, row, data, dim)));
    } else if (dims.length === 2 && dims[0] === batch.rows) {
      const dim = dims[1] ?? 0;
      for (let row = start; row < end; row++) {
        vectors.push(normalizeInPlace(data.slice(row * dim, row * dim + dim)));
      }
    } else {
      throw new InferenceError(
        `model ${this.file} returned '${this.#output}' of shape [${dims.join(', ')}] for ${batch.rows} texts`,
      );
    }
    if (this.#dim > 0 && vectors.some((v) => v.length !== this.#dim)) {
      throw new InferenceError(`model ${this.file} changed its embedding width`);
    }
    return vectors;
  }

  close(): void {
    this.#session.close();
  }
}

/** Loads the encoder of a Hugging Face ONNX export directory as a text embedder. */
export function loadHfTextEmbedder(
  pool: OnnxSessionPool,
  dir: string,
  options?: HfModelDirOptions,
): Promise<HfTextEmbedder> {
  return HfTextEmbedder.load(pool, dir, options);
}
