// `train --task selection --algorithm router_dc`: RouterDC's sample-LLM contrastive loss over the built-in
// embedder's query vectors. Each model (profile) gets one unit vector; for every training prompt and every model
// that answered it right, a softmax with `temperature` over that model and the models that got it wrong pulls the
// right model's vector toward the query and pushes the wrong ones away. The encoder is fixed (the built-in
// embedder), so only the model vectors are learned; the epoch count and learning rate are chosen on validation.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TextEmbedder } from '../../ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, MODEL_FILE_NAME } from '../../ml/model-store.ts';
import { OnnxSessionPool } from '../../ml/onnx-session-pool.ts';
import { seededRandom } from '../../seeded-random.ts';
import { ROUTER_DC_FORMAT, type RouterDcFile } from '../../selection/router-dc/router-dc-model.ts';
import type { OutcomeDataset, OutcomeRow } from './outcome-datasets.ts';

export interface RouterDcTrainingOptions {
  readonly temperature: number;
  readonly epochs: readonly number[];
  readonly learningRates: readonly number[];
  readonly seed: number;
}

export const DEFAULT_ROUTER_DC_OPTIONS: RouterDcTrainingOptions = {
  temperature: 0.2,
  epochs: [2, 4, 8, 16],
  learningRates: [0.005, 0.02],
  seed: 42,
};

/** A prompt's query vector and outcomes. */
interface Example {
  readonly query: Float32Array;
  readonly row: OutcomeRow;
}

/** Query vectors of every row, embedded by the built-in embedder in batches. */
export async function embedRows(rows: readonly OutcomeRow[], embedderFile?: string): Promise<Float32Array[]> {
  const pool = new OnnxSessionPool();
  const embedder = await TextEmbedder.load(pool, embedderFile ?? builtInEmbedderFile());
  try {
    const out: Float32Array[] = [];
    for (let start = 0; start < rows.length; start += 256)
      out.push(...(await embedder.embed(rows.slice(start, start + 256).map((r) => r.text))));
    return out;
  } finally {
    embedder.close();
    await pool.close();
  }
}

export function builtInEmbedderFile(): string {
  return path.join(BUILTIN_MODELS_DIR, 'embedding', MODEL_FILE_NAME);
}

function normalise(vector: Float64Array): void {
  let norm = 0;
  for (const x of vector) norm += x * x;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < vector.length; d++) vector[d] = (vector[d] as number) * scale;
}

function dot(a: Float64Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += (a[d] as number) * (b[d] as number);
  return sum;
}

/** Right and wrong profiles of a row (outcome ≥ 0.5 is right; NaN is unknown). */
function outcomesOf(row: OutcomeRow): { right: number[]; wrong: number[] } {
  const right: number[] = [];
  const wrong: number[] = [];
  row.correct.forEach((c, p) => {
    if (Number.isNaN(c)) return;
    (c >= 0.5 ? right : wrong).push(p);
  });
  return { right, wrong };
}

/**
 * Mean contrastive loss of the examples: for each right model r, −log softmax_r over {r} ∪ wrong, with
 * similarities divided by the temperature. With `learningRate`, also takes one SGD step per example.
 */
function contrastivePass(
  vectors: Float64Array[],
  examples: readonly Example[],
  temperature: number,
  learningRate?: number,
): number {
  let loss = 0;
  let terms = 0;
  const dim = vectors[0]?.length ?? 0;
  for (const { query, row } of examples) {
    const { right, wrong } = outcomesOf(row);
    if (right.length === 0 || wrong.length === 0) continue;
    const logits = new Map<number, number>();
    for (const p of [...right, ...wrong]) logits.set(p, dot(vectors[p] as Float64Array, query) / temperature);
    const gradient = new Map<number, number>();
    for (const r of right) {
      const set = [r, ...wrong];
      const max = Math.max(...set.map((p) => logits.get(p) as number));
      let total = 0;
      for (const p of set) total += Math.exp((logits.get(p) as number) - max);
      loss += -((logits.get(r) as number) - max - Math.log(total));
      terms++;
      for (const p of set) {
        const share = Math.exp((logits.get(p) as number) - max) / total - (p === r ? 1 : 0);
        gradient.set(p, (gradient.get(p) ?? 0) + share / right.length);
      }
    }
    if (learningRate === undefined) continue;
    for (const [p, g] of gradient) {
      const vector = vectors[p] as Float64Array;
      const step = (learningRate * g) / temperature;
      for (let d = 0; d < dim; d++) vector[d] = (vector[d] as number) - step * (query[d] as number);
      normalise(vector);
    }
  }
  return terms === 0 ? 0 : loss / terms;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Every model starts at the mean training query direction, so cosines start where the queries are. */
function initialVectors(profiles: number, train: readonly Example[]): Float64Array[] {
  const dim = train[0]?.query.length ?? 0;
  const mean = new Float64Array(dim);
  for (const { query } of train)
    for (let d = 0; d < dim; d++) mean[d] = (mean[d] as number) + (query[d] as number);
  normalise(mean);
  return Array.from({ length: profiles }, () => Float64Array.from(mean));
}

export interface RouterDcTrainingResult {
  readonly file: RouterDcFile;
  readonly validationLoss: number;
  readonly initialValidationLoss: number;
  readonly trainingSeconds: number;
}

export async function trainRouterDc(
  dataset: OutcomeDataset,
  options: RouterDcTrainingOptions = DEFAULT_ROUTER_DC_OPTIONS,
  log: (line: string) => void = () => {},
): Promise<RouterDcTrainingResult> {
  const started = Date.now();
  const embedderFile = builtInEmbedderFile();
  const usable = dataset.rows.filter((r) => r.split !== 'test');
  const queries = await embedRows(usable, embedderFile);
  const examples = usable.map((row, i) => ({ row, query: queries[i] as Float32Array }));
  const train = examples.filter((e) => e.row.split === 'train');
  const validation = examples.filter((e) => e.row.split === 'validation');
  const P = dataset.profiles.length;
  const initialValidationLoss = contrastivePass(initialVectors(P, train), validation, options.temperature);
  let best = { loss: Number.POSITIVE_INFINITY, epochs: 0, learningRate: 0, vectors: [] as Float64Array[] };
  for (const learningRate of options.learningRates) {
    const vectors = initialVectors(P, train);
    const random = seededRandom(options.seed);
    const last = Math.max(...options.epochs);
    for (let epoch = 1; epoch <= last; epoch++) {
      contrastivePass(vectors, shuffled(train, random), options.temperature, learningRate);
      if (!options.epochs.includes(epoch)) continue;
      const loss = contrastivePass(vectors, validation, options.temperature);
      log(`router_dc lr ${learningRate} epoch ${epoch}: validation loss ${loss.toFixed(4)}`);
      if (loss < best.loss)
        best = { loss, epochs: epoch, learningRate, vectors: vectors.map((v) => Float64Array.from(v)) };
    }
  }
  const embedderSha256 = createHash('sha256').update(readFileSync(embedderFile)).digest('hex');
  const file: RouterDcFile = {
    format: ROUTER_DC_FORMAT,
    algorithm: 'router_dc',
    dataset: dataset.name,
    embedder: { model: 'embedding', sha256: embedderSha256, dim: queries[0]?.length ?? 0 },
    temperature: options.temperature,
    params: {
      epochs: best.epochs,
      learningRate: best.learningRate,
      seed: options.seed,
      trainPrompts: train.length,
      validationPrompts: validation.length,
      validationLoss: round(best.loss, 5),
      initialValidationLoss: round(initialValidationLoss, 5),
    },
    profiles: dataset.profiles.map((name, p) => {
      const outcomes = train.map((e) => e.row.correct[p] as number).filter((c) => !Number.isNaN(c));
      const costs = train.map((e) => e.row.cost[p] as number).filter((c) => !Number.isNaN(c));
      return {
        name,
        prior: round(outcomes.reduce((s, c) => s + c, 0) / Math.max(1, outcomes.length), 5),
        meanCost: round(costs.reduce((s, c) => s + c, 0) / Math.max(1, costs.length), 8),
        vector: [...(best.vectors[p] ?? [])].map((x) => round(x, 7)),
      };
    }),
  };
  return {
    file,
    validationLoss: best.loss,
    initialValidationLoss,
    trainingSeconds: (Date.now() - started) / 1000,
  };
}

function round(x: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

export function writeRouterDc(outDir: string, file: RouterDcFile): string {
  const target = path.join(outDir, 'router_dc.json');
  writeFileSync(target, `${JSON.stringify(file)}\n`);
  return target;
}
