// Scores exported models on the held-out test split of their card's task: quality, latency, throughput.
import path from 'node:path';
import { OnnxSessionPool } from '../../ml/onnx-session-pool.ts';
import { WideMlpClassifier } from '../../ml/wide-mlp/classifier-runtime.ts';
import type { CrossSourceSet } from '../datasets/cross-source.ts';
import {
  DatasetError,
  type LabelledText,
  loadTaskDataset,
  type TaskDataset,
  type TaskName,
} from '../datasets/index.ts';
import { asDetectionRows, JAILBREAK_REFERENCE_NEGATIVES, unsafeProbability } from '../datasets/jailbreak.ts';
import {
  type ClassificationMetrics,
  classificationMetrics,
  detectionRates,
  type LatencySummary,
  summarizeLatency,
} from '../metrics.ts';
import { type EntityModelEvaluation, evaluateEntityModel } from '../tagger/evaluate-tagger.ts';
import {
  type CrossSourceFigure,
  crossSourceFigure,
  crossSourceSetsFor,
  decisionFor,
} from './cross-source-figures.ts';
import { EvalLoadError, type ModelDir, openModel, trainedMaxRows } from './model-folders.ts';

/** Texts per inference of the throughput measurement. */
export const THROUGHPUT_BATCH = 32;
export const WARM_UP_CALLS = 20;

/** Scores entity taggers on the held-out templates of the pii task. */
export async function evaluateEntityModels(
  dirs: readonly string[],
  dataDir: string,
  maxRows: number | undefined,
): Promise<EntityModelEvaluation[]> {
  const pool = new OnnxSessionPool();
  const results: EntityModelEvaluation[] = [];
  try {
    for (const dir of dirs) {
      try {
        results.push(await evaluateEntityModel(pool, dir, dataDir, trainedMaxRows(dir), maxRows));
      } catch (error) {
        if (error instanceof DatasetError) throw error;
        throw new EvalLoadError(`cannot evaluate entity model ${dir}: ${(error as Error).message}`);
      }
    }
  } finally {
    await pool.close();
  }
  return results;
}

/** Detection rates at the card's threshold on P(label 1) (jailbreak models). */
export interface EvalDetection {
  readonly threshold: number;
  /** Recall on attacks. */
  readonly recall: number;
  /** Over every benign test text. */
  readonly falsePositiveRate: number;
  /** Over the benign texts of the reference sources (as in the card). */
  readonly referenceFalsePositiveRate: number;
  readonly positives: number;
  readonly negatives: number;
  readonly referenceNegatives: number;
}

export interface ModelEvaluation {
  readonly name: string;
  readonly dir: string;
  readonly task: TaskName;
  readonly labels: readonly string[];
  /** Rows of the model's full held-out test split. */
  readonly testRows: number;
  /** Test rows evaluated (all unless --max-rows is smaller). */
  readonly evaluated: number;
  readonly metrics: ClassificationMetrics;
  readonly detection: EvalDetection | null;
  /** Figures on sources the model was not trained on (full sets, whatever --max-rows says). */
  readonly crossSource: readonly CrossSourceFigure[];
  /** Sequential batch-1 classify() through the session pool, after warm-up. */
  readonly latency: LatencySummary;
  readonly throughput: {
    readonly batchSize: number;
    readonly texts: number;
    readonly seconds: number;
    readonly textsPerSecond: number;
  };
  /** Largest |batch-32 − batch-1| probability (padding must not change results). */
  readonly batchParityMaxDiff: number;
  /** What card.json reports for the full test split, for comparison. */
  readonly card: {
    readonly testRows: number | null;
    readonly accuracy: number | null;
    readonly macroF1: number | null;
  };
}

export interface EvalReport {
  readonly dataDir: string;
  readonly maxRows: number | null;
  readonly nodeVersion: string;
  readonly models: readonly ModelEvaluation[];
  /** PII entity taggers (card task `pii`), scored per entity type. */
  readonly entityModels?: readonly EntityModelEvaluation[];
}

/** `n` evenly spaced rows, keeping the class and source mix of the split. */
function evenlySpaced(rows: readonly LabelledText[], n: number | undefined): readonly LabelledText[] {
  if (n === undefined || rows.length <= n) return rows;
  const stride = rows.length / n;
  const out: LabelledText[] = [];
  for (let i = 0; i < n; i++) {
    const row = rows[Math.floor(i * stride)];
    if (row !== undefined) out.push(row);
  }
  return out;
}

function detectionAt(
  threshold: number,
  scores: readonly number[],
  rows: readonly LabelledText[],
): EvalDetection {
  const all = detectionRates(scores, rows, threshold);
  const refIdx = rows.flatMap((r, i) => (JAILBREAK_REFERENCE_NEGATIVES.includes(r.source) ? [i] : []));
  const ref = detectionRates(
    refIdx.map((i) => scores[i] ?? 0),
    refIdx.flatMap((i) => rows[i] ?? []),
    threshold,
  );
  return {
    threshold,
    recall: all.recall,
    falsePositiveRate: all.falsePositiveRate,
    referenceFalsePositiveRate: ref.falsePositiveRate,
    positives: all.positives,
    negatives: all.negatives,
    referenceNegatives: ref.negatives,
  };
}

async function evaluateModel(
  pool: OnnxSessionPool,
  model: ModelDir,
  dataset: TaskDataset,
  maxRows: number | undefined,
  crossSourceSets: readonly CrossSourceSet[],
): Promise<ModelEvaluation> {
  const rows = evenlySpaced(dataset.test, maxRows);
  const texts = rows.map((r) => r.text);
  let classifier: WideMlpClassifier;
  try {
    classifier = await WideMlpClassifier.load(pool, path.resolve(model.modelFile));
  } catch (error) {
    throw new EvalLoadError(`cannot load model ${model.modelFile}: ${(error as Error).message}`);
  }
  try {
    const labels = classifier.metadata.labels;
    if (labels.join('\n') !== dataset.labels.join('\n')) {
      throw new EvalLoadError(
        `model ${model.modelFile} labels (${labels.join(', ')}) differ from task ${model.card.task} labels`,
      );
    }
    for (let i = 0; i < Math.min(WARM_UP_CALLS, texts.length); i++)
      await classifier.classify([texts[i] ?? '']);
    const times: number[] = [];
    const probabilities: Float32Array[] = [];
    for (const text of texts) {
      const start = performance.now();
      const [result] = await classifier.classify([text]);
      times.push(performance.now() - start);
      probabilities.push(result?.probabilities ?? new Float32Array(labels.length));
    }
    await classifier.classify(texts.slice(0, THROUGHPUT_BATCH));
    let parity = 0;
    const started = performance.now();
    for (let i = 0; i < texts.length; i += THROUGHPUT_BATCH) {
      const batch = await classifier.classify(texts.slice(i, i + THROUGHPUT_BATCH));
      batch.forEach((result, j) => {
        const single = probabilities[i + j];
        if (single === undefined) return;
        for (let k = 0; k < single.length; k++) {
          parity = Math.max(parity, Math.abs((result.probabilities[k] ?? 0) - (single[k] ?? 0)));
        }
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const predicted = probabilities.map((p) => {
      let best = 0;
      for (let k = 1; k < p.length; k++) if ((p[k] ?? 0) > (p[best] ?? 0)) best = k;
      return best;
    });
    const threshold = model.card.threshold;
    const decide = decisionFor(model.card.task, labels, threshold);
    const crossSource: CrossSourceFigure[] = [];
    for (const set of crossSourceSets) {
      const decisions: (number | null)[] = [];
      for (let i = 0; i < set.rows.length; i += THROUGHPUT_BATCH) {
        const batch = await classifier.classify(set.rows.slice(i, i + THROUGHPUT_BATCH).map((r) => r.text));
        for (const result of batch) decisions.push(decide(result.probabilities));
      }
      crossSource.push(crossSourceFigure(set, decisions));
    }
    return {
      name: model.name,
      dir: model.dir,
      task: model.card.task,
      labels,
      testRows: dataset.test.length,
      evaluated: rows.length,
      metrics: classificationMetrics(
        labels,
        rows.map((r) => r.label),
        predicted,
      ),
      crossSource,
      detection:
        threshold === null || model.card.task !== 'jailbreak'
          ? null
          : detectionAt(threshold, probabilities.map(unsafeProbability), asDetectionRows(rows)),
      latency: summarizeLatency(times),
      throughput: {
        batchSize: THROUGHPUT_BATCH,
        texts: texts.length,
        seconds: Math.round(seconds * 1e4) / 1e4,
        textsPerSecond: Math.round(texts.length / Math.max(seconds, 1e-9)),
      },
      batchParityMaxDiff: parity,
      card: { testRows: model.card.testRows, accuracy: model.card.accuracy, macroF1: model.card.macroF1 },
    };
  } finally {
    await classifier.release();
  }
}

/** Evaluates models (folders) on their held-out test splits. */
export async function evaluateModels(
  modelDirs: readonly string[],
  dataDir: string,
  maxRows: number | undefined,
): Promise<EvalReport> {
  const models = modelDirs.map(openModel);
  const datasets = new Map<string, TaskDataset>();
  const pool = new OnnxSessionPool();
  const results: ModelEvaluation[] = [];
  try {
    for (const model of models) {
      const { task, maxRows: trainedMaxRows } = model.card;
      const key = `${task}:${trainedMaxRows ?? 'all'}`;
      let dataset = datasets.get(key);
      if (dataset === undefined) {
        dataset = loadTaskDataset(task, dataDir, trainedMaxRows ?? undefined);
        datasets.set(key, dataset);
      }
      const sets = trainedMaxRows === null ? crossSourceSetsFor(task, dataDir) : [];
      results.push(await evaluateModel(pool, model, dataset, maxRows, sets));
    }
  } finally {
    await pool.close();
  }
  return { dataDir, maxRows: maxRows ?? null, nodeVersion: process.version, models: results };
}
