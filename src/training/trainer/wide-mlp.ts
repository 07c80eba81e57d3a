// WideMLP / fastText-style classifier: embedding bag → ReLU hidden layer → softmax, trained reproducibly.
import { createHash } from 'node:crypto';
import { seededRandom } from '../../seeded-random.ts';

/** Weights of a trained model; every matrix is row-major Float32Array. */
export interface WideMlpModel {
  readonly buckets: number;
  readonly embeddingDim: number;
  readonly hiddenDim: number;
  readonly classes: number;
  /** [buckets, embeddingDim] */
  readonly embedding: Float32Array;
  /** [embeddingDim, hiddenDim] */
  readonly w1: Float32Array;
  /** [hiddenDim] */
  readonly b1: Float32Array;
  /** [hiddenDim, classes] */
  readonly w2: Float32Array;
  /** [classes] */
  readonly b2: Float32Array;
}

/** One labelled text, already featurized. */
export interface TrainingExample {
  readonly features: Int32Array;
  readonly label: number;
}

export interface WideMlpOptions {
  readonly embeddingDim: number;
  readonly hiddenDim: number;
  readonly epochs: number;
  /** Adam step size. */
  readonly learningRate: number;
  readonly batchSize: number;
  /** Seed of the PRNG that initialises the weights and shuffles each epoch. */
  readonly seed: number;
  /** Decoupled (AdamW) weight decay on E, W1 and W2; 0 unless told. */
  readonly weightDecay?: number;
  /** Held-out examples: with them, the weights of the epoch with the lowest validation loss are returned. */
  readonly validation?: readonly TrainingExample[];
  /** Epochs without validation improvement before stopping; 3 unless told. */
  readonly patience?: number;
}

export interface EpochStats {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationLoss?: number;
  readonly validationAccuracy?: number;
}

export interface TrainResult {
  readonly model: WideMlpModel;
  readonly history: readonly EpochStats[];
  /** Epoch (1-based) whose weights were returned. */
  readonly bestEpoch: number;
}

/** Bad training input (label out of range, feature id outside the table, empty data set, bad options). */
export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** Reusable per-example buffers of the forward pass (double precision accumulators). */
interface Scratch {
  readonly e: Float64Array;
  readonly z1: Float64Array;
  readonly h: Float64Array;
  readonly logits: Float64Array;
}

function scratchFor(model: WideMlpModel): Scratch {
  return {
    e: new Float64Array(model.embeddingDim),
    z1: new Float64Array(model.hiddenDim),
    h: new Float64Array(model.hiddenDim),
    logits: new Float64Array(model.classes),
  };
}

/** Forward pass into `s`; features are summed in their given order, then divided by their count (≥ 1). */
function forwardInto(model: WideMlpModel, features: Int32Array, s: Scratch): void {
  const { embeddingDim: d, hiddenDim: hd, classes: c, embedding, w1, b1, w2, b2 } = model;
  const { e, z1, h, logits } = s;
  e.fill(0);
  for (let k = 0; k < features.length; k++) {
    const row = (features[k] ?? 0) * d;
    for (let j = 0; j < d; j++) e[j] = (e[j] ?? 0) + (embedding[row + j] ?? 0);
  }
  const inv = 1 / Math.max(1, features.length);
  for (let j = 0; j < d; j++) e[j] = (e[j] ?? 0) * inv;
  for (let u = 0; u < hd; u++) z1[u] = b1[u] ?? 0;
  for (let j = 0; j < d; j++) {
    const ej = e[j] ?? 0;
    if (ej === 0) continue;
    const row = j * hd;
    for (let u = 0; u < hd; u++) z1[u] = (z1[u] ?? 0) + ej * (w1[row + u] ?? 0);
  }
  for (let u = 0; u < hd; u++) h[u] = Math.max(0, z1[u] ?? 0);
  for (let k = 0; k < c; k++) logits[k] = b2[k] ?? 0;
  for (let u = 0; u < hd; u++) {
    const hu = h[u] ?? 0;
    if (hu === 0) continue;
    const row = u * c;
    for (let k = 0; k < c; k++) logits[k] = (logits[k] ?? 0) + hu * (w2[row + k] ?? 0);
  }
}

/** Softmax of `logits / temperature`, computed stably in double precision. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, (logits[k] ?? 0) / temperature);
  let sum = 0;
  for (let k = 0; k < logits.length; k++) {
    const v = Math.exp((logits[k] ?? 0) / temperature - max);
    out[k] = v;
    sum += v;
  }
  for (let k = 0; k < logits.length; k++) out[k] = (out[k] ?? 0) / sum;
  return out;
}

/** Uncalibrated logits of one featurized text. */
export function forwardLogits(model: WideMlpModel, features: Int32Array): Float64Array {
  const s = scratchFor(model);
  forwardInto(model, features, s);
  return Float64Array.from(s.logits);
}

/** Class probabilities of one featurized text at a temperature (1 = uncalibrated). */
export function predictProbabilities(
  model: WideMlpModel,
  features: Int32Array,
  temperature = 1,
): Float64Array {
  return softmax(forwardLogits(model, features), temperature);
}

/** SHA-256 (hex) of every weight buffer's bytes: equal hashes mean bit-identical models. */
export function weightsHash(model: WideMlpModel): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([model.buckets, model.embeddingDim, model.hiddenDim, model.classes]));
  for (const a of [model.embedding, model.w1, model.b1, model.w2, model.b2]) {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return hash.digest('hex');
}

function uniformFill(target: Float32Array, limit: number, random: () => number): void {
  for (let i = 0; i < target.length; i++) target[i] = (random() * 2 - 1) * limit;
}

/** A freshly initialised model: E ~ U(±1/d) as in fastText, W1 and W2 Glorot-uniform, zero biases. */
export function initWideMlp(
  dims: { buckets: number; embeddingDim: number; hiddenDim: number; classes: number },
  random: () => number,
): WideMlpModel {
  const { buckets, embeddingDim: d, hiddenDim: hd, classes: c } = dims;
  const model: WideMlpModel = {
    ...dims,
    embedding: new Float32Array(buckets * d),
    w1: new Float32Array(d * hd),
    b1: new Float32Array(hd),
    w2: new Float32Array(hd * c),
    b2: new Float32Array(c),
  };
  uniformFill(model.embedding, 1 / d, random);
  uniformFill(model.w1, Math.sqrt(6 / (d + hd)), random);
  uniformFill(model.w2, Math.sqrt(6 / (hd + c)), random);
  return model;
}

function cloneModel(m: WideMlpModel): WideMlpModel {
  return {
    ...m,
    embedding: m.embedding.slice(),
    w1: m.w1.slice(),
    b1: m.b1.slice(),
    w2: m.w2.slice(),
    b2: m.b2.slice(),
  };
}

/** Mean cross-entropy and accuracy of a model on examples. */
export function evaluate(
  model: WideMlpModel,
  examples: readonly TrainingExample[],
): { loss: number; accuracy: number } {
  const s = scratchFor(model);
  let loss = 0;
  let correct = 0;
  for (const ex of examples) {
    forwardInto(model, ex.features, s);
    const p = softmax(s.logits);
    loss -= Math.log(Math.max(p[ex.label] ?? 0, 1e-30));
    if (argmax(s.logits) === ex.label) correct++;
  }
  const n = Math.max(1, examples.length);
  return { loss: loss / n, accuracy: correct / n };
}

/** Index of the largest value (the first on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if ((values[k] ?? 0) > (values[best] ?? 0)) best = k;
  return best;
}

function checkInputs(examples: readonly TrainingExample[], buckets: number, classes: number): number {
  let maxFeatures = 0;
  for (const ex of examples) {
    if (!Number.isInteger(ex.label) || ex.label < 0 || ex.label >= classes) {
      throw new TrainingError(`label ${ex.label} outside [0, ${classes})`);
    }
    for (const f of ex.features) {
      if (f < 0 || f >= buckets) throw new TrainingError(`feature id ${f} outside [0, ${buckets})`);
    }
    maxFeatures = Math.max(maxFeatures, ex.features.length);
  }
  return maxFeatures;
}

function checkOptions(o: WideMlpOptions): void {
  const positive: [string, number][] = [
    ['embeddingDim', o.embeddingDim],
    ['hiddenDim', o.hiddenDim],
    ['batchSize', o.batchSize],
  ];
  for (const [name, v] of positive) {
    if (!Number.isInteger(v) || v < 1)
      throw new TrainingError(`${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new TrainingError(`bad epochs ${o.epochs}`);
  if (!(o.learningRate > 0)) throw new TrainingError(`bad learningRate ${o.learningRate}`);
}

/** Adam (with decoupled weight decay) on a dense parameter array. */
function adamDense(
  p: Float32Array,
  g: Float64Array,
  m: Float32Array,
  v: Float32Array,
  stepSize: number,
  decay: number,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] ?? 0;
    const mi = BETA1 * (m[i] ?? 0) + (1 - BETA1) * gi;
    const vi = BETA2 * (v[i] ?? 0) + (1 - BETA2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = (p[i] ?? 0) * decay - (stepSize * mi) / (Math.sqrt(vi) + EPSILON);
  }
}

/**
 * Trains with mini-batch Adam: dense moments for W1, b1, W2, b2 and lazy (touched rows only) moments for E.
 * Every loop runs in a fixed order and the PRNG is seeded, so equal inputs and options give bit-identical
 * weights on any run.
 */
export function trainWideMlp(
  examples: readonly TrainingExample[],
  dims: { buckets: number; classes: number },
  options: WideMlpOptions,
): TrainResult {
  checkOptions(options);
  if (examples.length === 0) throw new TrainingError('no training examples');
  const { buckets, classes: c } = dims;
  const maxFeatures = checkInputs(examples, buckets, c);
  if (options.validation !== undefined) checkInputs(options.validation, buckets, c);
  const { embeddingDim: d, hiddenDim: hd, batchSize, learningRate: lr } = options;
  const wd = options.weightDecay ?? 0;
  const patience = options.patience ?? 3;
  const random = seededRandom(options.seed);
  const model = initWideMlp({ buckets, embeddingDim: d, hiddenDim: hd, classes: c }, random);

  // Adam moments.
  const mE = new Float32Array(model.embedding.length);
  const vE = new Float32Array(model.embedding.length);
  const mW1 = new Float32Array(d * hd);
  const vW1 = new Float32Array(d * hd);
  const mB1 = new Float32Array(hd);
  const vB1 = new Float32Array(hd);
  const mW2 = new Float32Array(hd * c);
  const vW2 = new Float32Array(hd * c);
  const mB2 = new Float32Array(c);
  const vB2 = new Float32Array(c);
  // Gradients of one batch.
  const gW1 = new Float64Array(d * hd);
  const gB1 = new Float64Array(hd);
  const gW2 = new Float64Array(hd * c);
  const gB2 = new Float64Array(c);
  const gE = new Float64Array(Math.max(1, batchSize * maxFeatures) * d);
  const rowSlot = new Map<number, number>();
  const rows: number[] = [];
  const s = scratchFor(model);
  const dLogits = new Float64Array(c);
  const dZ1 = new Float64Array(hd);
  const dE = new Float64Array(d);

  const order = Array.from({ length: examples.length }, (_, i) => i);
  const history: EpochStats[] = [];
  let best: WideMlpModel | undefined;
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = options.epochs;
  let sinceBest = 0;
  let t = 0;

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i] ?? 0;
      order[i] = order[j] ?? 0;
      order[j] = tmp;
    }
    let epochLoss = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(order.length, start + batchSize);
      const scale = 1 / (end - start);
      gW1.fill(0);
      gB1.fill(0);
      gW2.fill(0);
      gB2.fill(0);
      rowSlot.clear();
      rows.length = 0;
      for (let b = start; b < end; b++) {
        const ex = examples[order[b] ?? 0];
        if (ex === undefined) continue;
        forwardInto(model, ex.features, s);
        const p = softmax(s.logits);
        epochLoss -= Math.log(Math.max(p[ex.label] ?? 0, 1e-30));
        for (let k = 0; k < c; k++) dLogits[k] = ((p[k] ?? 0) - (k === ex.label ? 1 : 0)) * scale;
        for (let k = 0; k < c; k++) gB2[k] = (gB2[k] ?? 0) + (dLogits[k] ?? 0);
        for (let u = 0; u < hd; u++) {
          const hu = s.h[u] ?? 0;
          let dh = 0;
          const row = u * c;
          for (let k = 0; k < c; k++) {
            const dk = dLogits[k] ?? 0;
            if (hu !== 0) gW2[row + k] = (gW2[row + k] ?? 0) + hu * dk;
            dh += (model.w2[row + k] ?? 0) * dk;
          }
          dZ1[u] = (s.z1[u] ?? 0) > 0 ? dh : 0;
        }
        for (let u = 0; u < hd; u++) gB1[u] = (gB1[u] ?? 0) + (dZ1[u] ?? 0);
        for (let j = 0; j < d; j++) {
          const ej = s.e[j] ?? 0;
          const row = j * hd;
          let de = 0;
          for (let u = 0; u < hd; u++) {
            const du = dZ1[u] ?? 0;
            if (ej !== 0) gW1[row + u] = (gW1[row + u] ?? 0) + ej * du;
            de += (model.w1[row + u] ?? 0) * du;
          }
          dE[j] = de / Math.max(1, ex.features.length);
        }
        for (const f of ex.features) {
          let slot = rowSlot.get(f);
          if (slot === undefined) {
            slot = rows.length;
            rowSlot.set(f, slot);
            rows.push(f);
            gE.fill(0, slot * d, slot * d + d);
          }
          const base = slot * d;
          for (let j = 0; j < d; j++) gE[base + j] = (gE[base + j] ?? 0) + (dE[j] ?? 0);
        }
      }
      t += 1;
      const stepSize = (lr * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
      const decay = 1 - lr * wd;
      adamDense(model.w1, gW1, mW1, vW1, stepSize, decay);
      adamDense(model.b1, gB1, mB1, vB1, stepSize, 1);
      adamDense(model.w2, gW2, mW2, vW2, stepSize, decay);
      adamDense(model.b2, gB2, mB2, vB2, stepSize, 1);
      const E = model.embedding;
      for (let r = 0; r < rows.length; r++) {
        const base = (rows[r] ?? 0) * d;
        const gBase = r * d;
        for (let j = 0; j < d; j++) {
          const gi = gE[gBase + j] ?? 0;
          const i = base + j;
          const mi = BETA1 * (mE[i] ?? 0) + (1 - BETA1) * gi;
          const vi = BETA2 * (vE[i] ?? 0) + (1 - BETA2) * gi * gi;
          mE[i] = mi;
          vE[i] = vi;
          E[i] = (E[i] ?? 0) * decay - (stepSize * mi) / (Math.sqrt(vi) + EPSILON);
        }
      }
    }
    const stats: EpochStats = { epoch, trainLoss: epochLoss / examples.length };
    if (options.validation !== undefined && options.validation.length > 0) {
      const v = evaluate(model, options.validation);
      history.push({ ...stats, validationLoss: v.loss, validationAccuracy: v.accuracy });
      if (v.loss < bestLoss) {
        bestLoss = v.loss;
        best = cloneModel(model);
        bestEpoch = epoch;
        sinceBest = 0;
      } else if (++sinceBest >= patience) {
        break;
      }
    } else {
      history.push(stats);
    }
  }
  return { model: best ?? model, history, bestEpoch: best === undefined ? history.length : bestEpoch };
}
