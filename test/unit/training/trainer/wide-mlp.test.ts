// WideMLP training: accuracy on synthetic data, bit-for-bit reproducibility, early stopping, calibration.
import { describe, expect, it } from 'vitest';
import { type FeaturizerConfig, featurize } from '../../../../src/ml/wide-mlp/features.ts';
import { seededRandom } from '../../../../src/seeded-random.ts';
import { fitTemperature, meanNll, oodScore } from '../../../../src/training/trainer/calibration.ts';
import {
  evaluate,
  forwardLogits,
  predictProbabilities,
  TrainingError,
  type TrainingExample,
  trainWideMlp,
  type WideMlpOptions,
  weightsHash,
} from '../../../../src/training/trainer/wide-mlp.ts';
import { SYNTHETIC_LABELS, syntheticDataset } from './synthetic.ts';

const featurizer: FeaturizerConfig = {
  buckets: 1 << 14,
  wordNgrams: 2,
  charNgramMin: 3,
  charNgramMax: 5,
  maxFeatures: 256,
  maxChars: 1024,
};

const options: WideMlpOptions = {
  embeddingDim: 16,
  hiddenDim: 32,
  epochs: 4,
  learningRate: 0.01,
  batchSize: 16,
  seed: 42,
};

function examples(count: number, seed: number): TrainingExample[] {
  return syntheticDataset(count, seed).map((e) => ({
    features: featurize(e.text, featurizer),
    label: e.label,
  }));
}

const train = examples(600, 1);
const heldOut = examples(300, 2);
const dims = { buckets: featurizer.buckets, classes: SYNTHETIC_LABELS.length };

describe('trainWideMlp', () => {
  it('reaches ≥ 95 % held-out accuracy on keyword-driven sentences in well under 5 s', () => {
    const start = performance.now();
    const { model, history } = trainWideMlp(train, dims, options);
    const elapsed = performance.now() - start;
    const { accuracy } = evaluate(model, heldOut);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(elapsed).toBeLessThan(5000);
    expect(history).toHaveLength(options.epochs);
    expect(history.at(-1)?.trainLoss).toBeLessThan(history[0]?.trainLoss ?? 0);
  });

  it('is reproducible bit for bit with a seed, and differs across seeds', () => {
    const a = weightsHash(trainWideMlp(train, dims, { ...options, epochs: 2 }).model);
    const b = weightsHash(trainWideMlp(train, dims, { ...options, epochs: 2 }).model);
    const c = weightsHash(trainWideMlp(train, dims, { ...options, epochs: 2, seed: 43 }).model);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('keeps the best validation epoch and stops early', () => {
    const validation = heldOut.slice(0, 150);
    const result = trainWideMlp(train, dims, {
      ...options,
      epochs: 30,
      patience: 1,
      weightDecay: 1e-4,
      validation,
    });
    expect(result.history.length).toBeLessThan(30);
    const losses = result.history.map((h) => h.validationLoss ?? Number.POSITIVE_INFINITY);
    expect(result.history[result.bestEpoch - 1]?.validationLoss).toBe(Math.min(...losses));
    expect(evaluate(result.model, validation).loss).toBeCloseTo(Math.min(...losses), 10);
  });

  it('gives a finite distribution for an empty text (zero embedding)', () => {
    const { model } = trainWideMlp(train.slice(0, 60), dims, { ...options, epochs: 1 });
    const p = predictProbabilities(model, new Int32Array(0));
    expect(p.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(forwardLogits(model, new Int32Array(0)).every(Number.isFinite)).toBe(true);
  });

  it('rejects bad input', () => {
    expect(() => trainWideMlp([], dims, options)).toThrow(TrainingError);
    expect(() => trainWideMlp([{ features: Int32Array.of(1), label: 3 }], dims, options)).toThrow(
      TrainingError,
    );
    expect(() => trainWideMlp([{ features: Int32Array.of(1 << 14), label: 0 }], dims, options)).toThrow(
      TrainingError,
    );
    expect(() => trainWideMlp(train, dims, { ...options, batchSize: 0 })).toThrow(TrainingError);
  });
});

describe('temperature calibration', () => {
  // Over-confident logits: the argmax is right 70 % of the time but carries a margin of ~10 nats.
  const random = seededRandom(7);
  const logits: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 500; i++) {
    const label = i % 3;
    const predicted = random() < 0.7 ? label : (label + 1 + Math.floor(random() * 2)) % 3;
    const row = Float64Array.from({ length: 3 }, () => random() * 2);
    row[predicted] = (row[predicted] ?? 0) + 10;
    logits.push(row);
    labels.push(label);
  }

  it('lowers the NLL of an over-confident model with T > 1', () => {
    const fit = fitTemperature(logits, labels);
    expect(fit.temperature).toBeGreaterThan(1);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore * 0.5);
    expect(fit.nllBefore).toBeCloseTo(meanNll(logits, labels, 1), 12);
    // Golden-section found the minimum: nearby temperatures are no better.
    expect(meanNll(logits, labels, fit.temperature * 1.05)).toBeGreaterThanOrEqual(fit.nllAfter);
    expect(meanNll(logits, labels, fit.temperature / 1.05)).toBeGreaterThanOrEqual(fit.nllAfter);
    // Calibrated confidence ≈ accuracy (0.7).
    const meanConfidence =
      logits.reduce((s, row) => s + oodScore(row, fit.temperature).maxProbability, 0) / logits.length;
    expect(meanConfidence).toBeGreaterThan(0.6);
    expect(meanConfidence).toBeLessThan(0.8);
  });

  it('keeps T = 1 when it cannot help, and sharpens an under-confident model', () => {
    const under = logits.map((row) => row.map((v) => v / 40));
    expect(fitTemperature(under, labels).temperature).toBeLessThan(1);
    expect(fitTemperature([Float64Array.of(0, 0)], [0]).temperature).toBe(1);
  });

  it('oodScore: uniform logits are maximally OOD; a confident row is not', () => {
    const flat = oodScore([1, 1, 1, 1], 1);
    expect(flat.maxProbability).toBeCloseTo(0.25, 12);
    expect(flat.ood).toBeCloseTo(0.75, 12);
    const sure = oodScore([20, 0, 0, 0], 1);
    expect(sure.ood).toBeLessThan(1e-6);
    expect(sure.energy).toBeLessThan(flat.energy);
  });
});
