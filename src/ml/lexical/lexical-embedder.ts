// The built-in lexical similarity model: TF-IDF over hashed words, word pairs and character n-grams, folded into a
// dense vector. Document frequencies come from the project's trainer (`semantic-router train --task lexical`);
// cosines are calibrated onto vLLM Semantic Router's similarity scale by the anchors in the model's card.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TextEmbeddingModel } from '../embedding/text-embedder.ts';
import { ModelFileError } from '../onnx-session-pool.ts';
import { markSparse } from '../vector-math.ts';
import { forEachLexicalFeature, type LexicalFeaturizer } from './lexical-features.ts';
import { similarityCalibration } from './similarity-calibration.ts';

export const LEXICAL_TASK = 'lexical-similarity';
export const LEXICAL_CARD_FILE = 'card.json';
export const LEXICAL_IDF_FILE = 'idf.bin';

const positiveInt = z.number().int().positive();

const lexicalCardSchema = z.object({
  task: z.literal(LEXICAL_TASK),
  featurizer: z.object({
    buckets: positiveInt,
    dim: positiveInt,
    charNgramMin: positiveInt,
    charNgramMax: positiveInt,
    maxChars: positiveInt,
  }),
  /** idf = 1 + byte / idfScale. */
  idfScale: z.number().positive(),
  calibration: z.object({
    anchors: z.array(z.object({ raw: z.number().min(0).max(1), calibrated: z.number().min(0).max(1) })),
    /** Calibrated similarity of an unrelated pair at the 95th percentile. */
    noiseFloor: z.number().min(0).max(1).optional(),
  }),
});

export type LexicalCard = z.infer<typeof lexicalCardSchema>;

/** Whether `dir` holds a lexical similarity model (its card says so). */
export async function isLexicalModelDir(dir: string): Promise<boolean> {
  try {
    const card = JSON.parse(await readFile(path.join(dir, LEXICAL_CARD_FILE), 'utf8')) as { task?: unknown };
    return card.task === LEXICAL_TASK;
  } catch {
    return false;
  }
}

export class LexicalEmbedder implements TextEmbeddingModel {
  readonly file: string;
  readonly dim: number;
  readonly calibrate: (raw: number) => number;
  readonly noiseFloor: number | undefined;
  readonly #featurizer: LexicalFeaturizer;
  readonly #idf: Float32Array;
  readonly #counts: Uint32Array;

  private constructor(file: string, card: LexicalCard, idf: Float32Array) {
    this.file = file;
    this.#featurizer = card.featurizer;
    this.dim = card.featurizer.dim;
    this.#idf = idf;
    this.#counts = new Uint32Array(card.featurizer.buckets);
    this.calibrate = similarityCalibration(card.calibration.anchors);
    this.noiseFloor = card.calibration.noiseFloor;
  }

  /** Loads the model in `dir`; a missing or inconsistent file is a ModelFileError naming it. */
  static async load(dir: string): Promise<LexicalEmbedder> {
    const cardFile = path.join(dir, LEXICAL_CARD_FILE);
    const idfFile = path.join(dir, LEXICAL_IDF_FILE);
    let card: LexicalCard;
    let bytes: Buffer;
    try {
      card = lexicalCardSchema.parse(JSON.parse(await readFile(cardFile, 'utf8')));
      bytes = await readFile(idfFile);
      similarityCalibration(card.calibration.anchors);
    } catch (error) {
      throw new ModelFileError(idfFile, `not a lexical similarity model: ${(error as Error).message}`);
    }
    const { buckets, dim } = card.featurizer;
    if (bytes.length !== buckets || buckets % dim !== 0)
      throw new ModelFileError(idfFile, `expected ${buckets} document-frequency bytes for ${dim} dimensions`);
    return LexicalEmbedder.fromParts(card, bytes, idfFile);
  }

  /** A model from its card and quantised idf bytes (the trainer builds one before writing the files). */
  static fromParts(card: LexicalCard, bytes: Uint8Array, file = LEXICAL_IDF_FILE): LexicalEmbedder {
    const idf = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) idf[i] = 1 + (bytes[i] as number) / card.idfScale;
    return new LexicalEmbedder(file, card, idf);
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((text) => this.embedOne(text)));
  }

  embedOne(text: string): Float32Array {
    // Occurrences per feature bucket in a table kept between calls (cleared after each), features in order of
    // first occurrence: the same sums, in the same order, as a map would give, without one.
    const counts = this.#counts;
    const seen: number[] = [];
    forEachLexicalFeature(text, this.#featurizer, (feature) => {
      if (counts[feature] === 0) seen.push(feature);
      counts[feature] = (counts[feature] as number) + 1;
    });
    const vector = new Float32Array(this.dim);
    const touched: number[] = [];
    for (const feature of seen) {
      const count = counts[feature] as number;
      counts[feature] = 0;
      const at = feature % this.dim;
      // Every feature adds a positive weight (idf ≥ 1): a position is non-zero once touched.
      if (vector[at] === 0) touched.push(at);
      vector[at] = (vector[at] as number) + (1 + Math.log(count)) * (this.#idf[feature] as number);
    }
    const positions = Uint32Array.from(touched).sort();
    let norm = 0;
    for (const i of positions) norm += (vector[i] as number) * (vector[i] as number);
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (const i of positions) vector[i] = (vector[i] as number) * scale;
    }
    markSparse(vector, positions);
    return vector;
  }

  close(): void {}
}
