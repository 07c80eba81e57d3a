// Finds the model folders `semantic-router eval` scores and reads what it needs from their card.json.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TASK_NAMES, type TaskName } from '../datasets/index.ts';

/** A model folder, card or data set that cannot be read (exit 1). */
export class EvalLoadError extends Error {}

/** Card task of the PII entity tagger, evaluated by span metrics instead of classification metrics. */
export const PII_TASK = 'pii';

/** What eval reads from a card.json (written by `semantic-router train`). */
export interface EvalCard {
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

export interface ModelDir {
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
export function openModel(arg: string): ModelDir {
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
export function discoverModels(modelsDir: string, note: (line: string) => void): string[] {
  if (!isDirectory(modelsDir)) throw new EvalLoadError(`cannot read models directory ${modelsDir}`);
  const found = readdirSync(modelsDir)
    .sort()
    .map((name) => path.join(modelsDir, name))
    .filter((dir) => existsSync(path.join(dir, 'model.onnx')) && existsSync(path.join(dir, 'card.json')))
    .filter((dir) => {
      const task = cardTask(path.join(dir, 'card.json'));
      if (TASK_NAMES.some((t) => t === task)) return true;
      if (task === PII_TASK) return false;
      note(`eval: skipping ${dir}: task ${String(task)} is not a classification task`);
      return false;
    });
  if (found.length === 0 && discoverEntityModels(modelsDir).length === 0) {
    throw new EvalLoadError(`no classifier folders with model.onnx and card.json in ${modelsDir}`);
  }
  return found;
}

export function isEntityModelDir(dir: string): boolean {
  const card = path.join(dir, 'card.json');
  return existsSync(path.join(dir, 'model.onnx')) && existsSync(card) && cardTask(card) === PII_TASK;
}

/** Folders of `modelsDir` holding a PII entity tagger (card task `pii`). */
export function discoverEntityModels(modelsDir: string): string[] {
  if (!isDirectory(modelsDir)) return [];
  return readdirSync(modelsDir)
    .sort()
    .map((name) => path.join(modelsDir, name))
    .filter(isEntityModelDir);
}

export function trainedMaxRows(dir: string): number | undefined {
  const raw: unknown = JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8'));
  return isRecord(raw) && typeof raw.maxRows === 'number' ? raw.maxRows : undefined;
}
