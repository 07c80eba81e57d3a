// `semantic-router eval`: scores built-in models on their held-out test split (quality, latency, throughput).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DatasetError,
  type LabelledText,
  loadTaskDataset,
  TASK_NAMES,
  type TaskDataset,
  type TaskName,
} from '../ml/datasets/index.ts';
import {
  asDetectionRows,
  JAILBREAK_REFERENCE_NEGATIVES,
  unsafeProbability,
} from '../ml/datasets/jailbreak.ts';
import {
  type ClassificationMetrics,
  classificationMetrics,
  detectionRates,
  formatPercent,
  type LatencySummary,
  markdownTable,
  summarizeLatency,
} from '../ml/metrics.ts';
import { OnnxSessionPool } from '../ml/onnx-session-pool.ts';
import { type EntityModelEvaluation, evaluateEntityModel } from '../ml/tagger/evaluate-tagger.ts';
import { WideMlpClassifier } from '../ml/trainer/classifier-runtime.ts';

export interface EvalIO {
  out(text: string): void;
  err(text: string): void;
}

export const EVAL_USAGE = `usage:
  semantic-router eval [--models models] [--model models/NAME ...] [--data ../shared/data] [--json]
      [--max-rows N]
  Evaluates each classifier (default: every folder under --models with model.onnx and a card.json whose task
  is ${TASK_NAMES.join(', ')}) on the held-out test split of its card's task (same deterministic split as
  training): accuracy, per-class precision / recall / F1, macro F1, jailbreak recall and false-positive rate
  at the card's threshold, batch-1 latency p50 / p99 and batch-32 throughput. --max-rows N evaluates an
  evenly spaced subset of N test rows. Folders whose card task is pii (the PERSON / STREET_ADDRESS tagger)
  are scored by span precision / recall / F1 on the held-out templates.
`;

/** Texts per inference of the throughput measurement. */
export const THROUGHPUT_BATCH = 32;
const WARM_UP_CALLS = 20;

class UsageError extends Error {}

/** A model folder, card or data set that cannot be read (exit 1). */
class EvalLoadError extends Error {}

interface EvalArgs {
  readonly modelsDir: string;
  readonly models: readonly string[];
  readonly dataDir: string;
  readonly json: boolean;
  readonly maxRows: number | undefined;
}

function parseEvalArgs(args: string[]): EvalArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      models: { type: 'string' },
      model: { type: 'string', multiple: true },
      data: { type: 'string' },
      json: { type: 'boolean' },
      'max-rows': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  let maxRows: number | undefined;
  if (values['max-rows'] !== undefined) {
    maxRows = Number(values['max-rows']);
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError('--max-rows must be an integer ≥ 1');
  }
  return {
    modelsDir: values.models ?? 'models',
    models: values.model ?? [],
    dataDir: values.data ?? '../shared/data',
    json: values.json ?? false,
    maxRows,
  };
}

/** What eval reads from a card.json (written by `semantic-router train`). */
interface EvalCard {
  readonly task: TaskName;
  readonly labels: readonly string[];
  readonly maxRows: number | null;
  readonly threshold: number | null;
  readonly testRows: number | null;
  readonly accuracy: number | null;
  readonly macroF1: number | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

function readCard(file: string): EvalCard {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EvalLoadError(`cannot read model card ${file}: ${(error as Error).message}`);
  }
  if (!isRecord(raw)) throw new EvalLoadError(`model card ${file} is not a JSON object`);
  const task = TASK_NAMES.find((t) => t === raw.task);
  if (task === undefined) {
    throw new EvalLoadError(`model card ${file}: "task" must be one of ${TASK_NAMES.join(', ')}`);
  }
  const labels = raw.labels;
  if (!Array.isArray(labels) || !labels.every((l): l is string => typeof l === 'string')) {
    throw new EvalLoadError(`model card ${file}: "labels" must be a list of strings`);
  }
  const rows = isRecord(raw.rows) ? raw.rows : {};
  const metrics = isRecord(raw.metrics) && isRecord(raw.metrics.test) ? raw.metrics.test : {};
  return {
    task,
    labels,
    maxRows: numberOrNull(raw.maxRows),
    threshold: numberOrNull(raw.threshold),
    testRows: numberOrNull(rows.test),
    accuracy: numberOrNull(metrics.accuracy),
    macroF1: numberOrNull(metrics.macroF1),
  };
}

interface ModelDir {
  readonly name: string;
  readonly dir: string;
  readonly modelFile: string;
  readonly card: EvalCard;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves one --model argument (a folder, or its model.onnx) and reads its card. */
function openModel(arg: string): ModelDir {
  const dir = arg.endsWith('.onnx') ? path.dirname(arg) : arg;
  const modelFile = arg.endsWith('.onnx') ? arg : path.join(dir, 'model.onnx');
  if (!existsSync(modelFile)) throw new EvalLoadError(`cannot read model ${modelFile}: no such file`);
  const cardFile = path.join(dir, 'card.json');
  if (!existsSync(cardFile)) throw new EvalLoadError(`cannot read model card ${cardFile}: no such file`);
  return { name: path.basename(path.resolve(dir)), dir, modelFile, card: readCard(cardFile) };
}

/** The `task` of a card.json, or undefined when it has none (the card is validated later by `readCard`). */
function cardTask(file: string): unknown {
  try {
    const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isRecord(raw) ? raw.task : undefined;
  } catch (error) {
    throw new EvalLoadError(`cannot read model card ${file}: ${(error as Error).message}`);
  }
}

/**
 * Every folder of `modelsDir` holding both model.onnx and card.json, by name; folders whose card names a
 * task that is not a classification task (e.g. a text-embedding model) are skipped with a note.
 */
function discoverModels(modelsDir: string, io: EvalIO): string[] {
  if (!isDirectory(modelsDir)) throw new EvalLoadError(`cannot read models directory ${modelsDir}`);
  const found = readdirSync(modelsDir)
    .sort()
    .map((name) => path.join(modelsDir, name))
    .filter((dir) => existsSync(path.join(dir, 'model.onnx')) && existsSync(path.join(dir, 'card.json')))
    .filter((dir) => {
      const task = cardTask(path.join(dir, 'card.json'));
      if (TASK_NAMES.some((t) => t === task)) return true;
      if (task === PII_TASK) return false;
      io.err(`eval: skipping ${dir}: task ${String(task)} is not a classification task\n`);
      return false;
    });
  if (found.length === 0 && discoverEntityModels(modelsDir).length === 0) {
    throw new EvalLoadError(`no classifier folders with model.onnx and card.json in ${modelsDir}`);
  }
  return found;
}

/** Card task of the PII entity tagger, evaluated by span metrics instead of classification metrics. */
const PII_TASK = 'pii';

function isEntityModelDir(dir: string): boolean {
  const card = path.join(dir, 'card.json');
  return existsSync(path.join(dir, 'model.onnx')) && existsSync(card) && cardTask(card) === PII_TASK;
}

/** Folders of `modelsDir` holding a PII entity tagger (card task `pii`). */
function discoverEntityModels(modelsDir: string): string[] {
  if (!isDirectory(modelsDir)) return [];
  return readdirSync(modelsDir)
    .sort()
    .map((name) => path.join(modelsDir, name))
    .filter(isEntityModelDir);
}

function trainedMaxRows(dir: string): number | undefined {
  const raw: unknown = JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8'));
  return isRecord(raw) && typeof raw.maxRows === 'number' ? raw.maxRows : undefined;
}

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
      detection:
        threshold === null
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
      results.push(await evaluateModel(pool, model, dataset, maxRows));
    }
  } finally {
    await pool.close();
  }
  return { dataDir, maxRows: maxRows ?? null, nodeVersion: process.version, models: results };
}

const pct = formatPercent;
const ms = (x: number): string => x.toFixed(3);
const count = (x: number): string => x.toLocaleString('en-US');

/** One row per model: the table `eval` prints last and the model READMEs show. */
export function renderSummary(report: EvalReport): string[] {
  return markdownTable(
    [
      'model',
      'task',
      'test rows',
      'accuracy',
      'macro F1',
      'attack recall',
      'FPR',
      'p50 ms (batch 1)',
      'p99 ms (batch 1)',
      'texts/s (batch 32)',
    ],
    report.models.map((m) => [
      m.name,
      m.task,
      m.evaluated === m.testRows ? count(m.testRows) : `${count(m.evaluated)} of ${count(m.testRows)}`,
      pct(m.metrics.accuracy),
      pct(m.metrics.macroF1),
      m.detection === null ? '–' : pct(m.detection.recall),
      m.detection === null ? '–' : pct(m.detection.falsePositiveRate),
      ms(m.latency.p50Ms),
      ms(m.latency.p99Ms),
      count(m.throughput.textsPerSecond),
    ]),
    [false, false, true, true, true, true, true, true, true, true],
  );
}

/** The detailed tables of one model. */
export function renderModel(m: ModelEvaluation): string[] {
  const cardAccuracy = m.card.accuracy === null ? '' : ` (card: ${pct(m.card.accuracy)})`;
  const rows: string[][] = [
    [
      'test rows evaluated',
      `${count(m.evaluated)} of ${count(m.testRows)}${m.card.testRows === null ? '' : ` (card: ${count(m.card.testRows)})`}`,
    ],
    ['accuracy', `${pct(m.metrics.accuracy)}${m.evaluated === m.testRows ? cardAccuracy : ''}`],
    ['macro F1', pct(m.metrics.macroF1)],
  ];
  const d = m.detection;
  if (d !== null) {
    rows.push(
      ['threshold on P(jailbreak) (card)', d.threshold.toFixed(4)],
      ['recall on attacks', `${pct(d.recall)} (${d.positives})`],
      ['false-positive rate (all benign)', `${pct(d.falsePositiveRate)} (${d.negatives})`],
      [
        'false-positive rate (reference benign)',
        `${pct(d.referenceFalsePositiveRate)} (${d.referenceNegatives})`,
      ],
    );
  }
  rows.push(
    ['latency p50 / p99 (batch 1)', `${ms(m.latency.p50Ms)} ms / ${ms(m.latency.p99Ms)} ms`],
    [`throughput (batch ${m.throughput.batchSize})`, `${count(m.throughput.textsPerSecond)} texts/s`],
  );
  return [
    `### ${m.name} (task \`${m.task}\`, ${m.dir})`,
    '',
    ...markdownTable(['metric', 'value'], rows, [false, true]),
    '',
    ...markdownTable(
      ['class', 'support', 'precision', 'recall', 'F1'],
      m.metrics.perClass.map((c) => [c.label, String(c.support), pct(c.precision), pct(c.recall), pct(c.f1)]),
      [false, true, true, true, true],
    ),
  ];
}

/** The span scores of one entity tagger. */
export function renderEntityModel(m: EntityModelEvaluation): string[] {
  return [
    `### ${m.name} (task \`pii\`, ${m.dir})`,
    '',
    `${count(m.evaluated)} of ${count(m.testRows)} held-out texts; latency p50 / p99 (batch 1) ` +
      `${ms(m.latency.p50Ms)} ms / ${ms(m.latency.p99Ms)} ms; ${count(m.throughput.textsPerSecond)} texts/s ` +
      `(batch ${m.throughput.batchSize}).`,
    '',
    ...markdownTable(
      ['type', 'gold spans', 'predicted', 'exact P / R / F1', 'overlap P / R / F1'],
      Object.entries(m.metrics).map(([type, s]) => [
        type,
        String(s.exact.gold),
        String(s.exact.predicted),
        `${pct(s.exact.precision)} / ${pct(s.exact.recall)} / ${pct(s.exact.f1)}`,
        `${pct(s.overlap.precision)} / ${pct(s.overlap.recall)} / ${pct(s.overlap.f1)}`,
      ]),
      [false, true, true, true, true],
    ),
  ];
}

/** The whole text report: one section per model, then the summary. */
export function renderReport(report: EvalReport): string {
  const lines: string[] = [];
  for (const m of report.models) lines.push(...renderModel(m), '');
  for (const m of report.entityModels ?? []) lines.push(...renderEntityModel(m), '');
  lines.push(
    '### Summary',
    '',
    ...renderSummary(report),
    '',
    `Held-out test split of each card's task from ${report.dataDir}` +
      `${report.maxRows === null ? '' : `, at most ${report.maxRows} rows per model`}; FPR over every benign ` +
      `text at the card's threshold; latency = sequential batch-1 classify() through the ONNX session pool ` +
      `after ${WARM_UP_CALLS} warm-up calls (Node ${report.nodeVersion}).`,
    '',
  );
  return lines.join('\n');
}

/** `semantic-router eval …`; exit 0 when every model was evaluated, 1 on a load error, 2 on a usage error. */
export async function evalCommand(args: string[], io: EvalIO): Promise<number> {
  let parsed: EvalArgs;
  try {
    parsed = parseEvalArgs(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n${EVAL_USAGE}`);
    return 2;
  }
  try {
    const explicit = parsed.models.length > 0;
    const dirs = explicit
      ? parsed.models.filter((d) => !isEntityModelDir(d))
      : discoverModels(parsed.modelsDir, io);
    const entityDirs = explicit
      ? parsed.models.filter(isEntityModelDir)
      : discoverEntityModels(parsed.modelsDir);
    const classifiers = await evaluateModels(dirs, parsed.dataDir, parsed.maxRows);
    const entityModels = await evaluateEntityModels(entityDirs, parsed.dataDir, parsed.maxRows);
    const report: EvalReport = entityModels.length > 0 ? { ...classifiers, entityModels } : classifiers;
    io.out(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return 0;
  } catch (error) {
    if (error instanceof EvalLoadError || error instanceof DatasetError) {
      io.err(`eval: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
