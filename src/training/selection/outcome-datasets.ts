// Routing-outcome data: per prompt, which models answered it well and at what cost, with a deterministic split.
import { DatasetError, readCsv } from '../datasets/build.ts';
import { normalizeForDedupe, type SplitName, splitBucket, splitOf } from '../datasets/split.ts';

export const OUTCOME_DATASETS = ['mmlu-pro', 'routerbench'] as const;
export type OutcomeDatasetName = (typeof OUTCOME_DATASETS)[number];

export interface OutcomeRow {
  readonly id: string;
  readonly text: string;
  /** MMLU-Pro category or RouterBench eval name. */
  readonly group: string;
  readonly split: SplitName;
  /** Per profile: 1 right, 0 wrong (fractions allowed), NaN when the model has no answer for the prompt. */
  readonly correct: Float32Array;
  /** Per profile, in the data set's cost unit; NaN when unknown. */
  readonly cost: Float32Array;
}

export interface OutcomeDataset {
  readonly name: OutcomeDatasetName;
  /** The models whose outcomes the data holds, in column order. */
  readonly profiles: readonly string[];
  readonly costUnit: 'usd' | 'output_chars';
  readonly rows: readonly OutcomeRow[];
  readonly splitMethod: string;
  readonly files: readonly string[];
}

export const MMLU_PRO_OUTCOME_FILES = {
  correct: 'mmlu-pro-model-outcomes/mmlu_pro_correct_by_model.csv',
  cost: 'mmlu-pro-model-outcomes/mmlu_pro_output_chars_by_model.csv',
  questions: 'mmlu-pro/mmlu_pro_test_question_category.csv',
} as const;

export const ROUTERBENCH_FILES = [
  'routerbench-subset/routerbench_arc-challenge.csv',
  'routerbench-subset/routerbench_mbpp.csv',
  'routerbench-subset/routerbench_winogrande.csv',
] as const;

const MMLU_META_COLUMNS = new Set(['question_id', 'category', 'src']);

function cell(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return Number.NaN;
  const n = Number(value);
  return Number.isFinite(n) ? n : Number.NaN;
}

/** MMLU-Pro outcomes of 32 models joined by question_id with the question text; split by normalised question. */
export function loadMmluProOutcomes(dataDir: string): OutcomeDataset {
  const questions = new Map(
    readCsv(dataDir, MMLU_PRO_OUTCOME_FILES.questions, ['question_id', 'question']).map((r) => [
      r.question_id ?? '',
      r.question ?? '',
    ]),
  );
  const correctRows = readCsv(dataDir, MMLU_PRO_OUTCOME_FILES.correct, ['question_id', 'category']);
  const profiles = Object.keys(correctRows[0] ?? {}).filter((c) => !MMLU_META_COLUMNS.has(c));
  if (profiles.length < 2) throw new DatasetError(`${MMLU_PRO_OUTCOME_FILES.correct}: fewer than two models`);
  const costs = new Map(
    readCsv(dataDir, MMLU_PRO_OUTCOME_FILES.cost, ['question_id']).map((r) => [r.question_id ?? '', r]),
  );
  const rows: OutcomeRow[] = [];
  for (const r of correctRows) {
    const id = r.question_id ?? '';
    const text = questions.get(id);
    if (text === undefined || text.trim() === '') continue;
    const costRow = costs.get(id);
    rows.push({
      id,
      text,
      group: r.category ?? '',
      split: splitOf(normalizeForDedupe(text)),
      correct: Float32Array.from(profiles, (p) => cell(r[p])),
      cost: Float32Array.from(profiles, (p) => cell(costRow?.[p])),
    });
  }
  if (rows.length === 0) throw new DatasetError(`${MMLU_PRO_OUTCOME_FILES.correct}: no row joins a question`);
  return {
    name: 'mmlu-pro',
    profiles,
    costUnit: 'output_chars',
    rows,
    splitMethod:
      'hash split of the normalised question (80 % train, 10 % validation, 10 % test; duplicates share a split)',
    files: Object.values(MMLU_PRO_OUTCOME_FILES),
  };
}

/** RouterBench stores the prompt as a Python list literal of turns: `['…', '…']`. */
export function routerBenchPrompt(raw: string): string {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) return trimmed;
  const turns: string[] = [];
  const literal = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/gs;
  for (const match of trimmed.slice(1, -1).matchAll(literal)) {
    const body = match[1] ?? match[2] ?? '';
    turns.push(body.replace(/\\(n|t|'|"|\\)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c));
  }
  return turns.length > 0 ? turns.join('\n') : trimmed;
}

/** RouterBench's own train/test split is kept; 10 % of its train rows (hash of sample_id) are validation. */
export function loadRouterBenchOutcomes(dataDir: string): OutcomeDataset {
  let profiles: string[] | undefined;
  const rows: OutcomeRow[] = [];
  for (const file of ROUTERBENCH_FILES) {
    const records = readCsv(dataDir, file, ['split', 'sample_id', 'eval_name', 'prompt']);
    const columns = Object.keys(records[0] ?? {});
    const models = columns.filter((c) => columns.includes(`${c}|total_cost`));
    if (profiles === undefined) profiles = models;
    else if (models.join('\n') !== profiles.join('\n'))
      throw new DatasetError(`${file}: its models differ from ${ROUTERBENCH_FILES[0]}`);
    for (const r of records) {
      const id = r.sample_id ?? '';
      const split: SplitName =
        r.split === 'test' ? 'test' : splitBucket(`routerbench:${id}`) < 100 ? 'validation' : 'train';
      rows.push({
        id,
        text: routerBenchPrompt(r.prompt ?? ''),
        group: r.eval_name ?? '',
        split,
        correct: Float32Array.from(models, (m) => cell(r[m])),
        cost: Float32Array.from(models, (m) => cell(r[`${m}|total_cost`])),
      });
    }
  }
  if (!profiles || profiles.length < 2) throw new DatasetError('routerbench-subset: fewer than two models');
  return {
    name: 'routerbench',
    profiles,
    costUnit: 'usd',
    rows,
    splitMethod: "RouterBench's split column (test held out); 10 % of train (hash of sample_id) validation",
    files: [...ROUTERBENCH_FILES],
  };
}

export function loadOutcomeDataset(name: OutcomeDatasetName, dataDir: string): OutcomeDataset {
  return name === 'mmlu-pro' ? loadMmluProOutcomes(dataDir) : loadRouterBenchOutcomes(dataDir);
}

export function rowsOf(dataset: OutcomeDataset, split: SplitName): OutcomeRow[] {
  return dataset.rows.filter((r) => r.split === split);
}
