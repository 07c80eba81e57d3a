// The `domain` task: MMLU-Pro + MMLU-Redux questions labelled with the 14 MMLU-Pro categories.
import { buildDataset, type Candidate, DatasetError, readCsv } from './build.ts';
import { SPLIT_METHOD } from './split.ts';
import type { TaskDataset } from './types.ts';

export const DOMAIN_FILES = {
  'mmlu-pro': ['mmlu-pro/mmlu_pro_test_question_category.csv'],
  'mmlu-redux': ['mmlu-redux/mmlu_redux_57subjects.csv'],
} as const;

/**
 * A label that means "no domain" when a classifier has it (a user's own model may): the router treats it as an
 * abstention. The built-in model has no such class (an off-topic class trained on everyday chat sent short
 * conversational domain questions to it; see models/domain/README.md).
 */
export const OFF_TOPIC_LABEL = 'off_topic';

/** The 14 routing domains, spelled as in the data, in alphabetical order. */
export const DOMAIN_LABELS: readonly string[] = [
  'biology',
  'business',
  'chemistry',
  'computer science',
  'economics',
  'engineering',
  'health',
  'history',
  'law',
  'math',
  'other',
  'philosophy',
  'physics',
  'psychology',
];

/** Loads MMLU-Pro (preferred) and MMLU-Redux (rows with a category), deduplicated by normalised question. */
export function loadDomainDataset(dataDir: string): TaskDataset {
  const index = new Map(DOMAIN_LABELS.map((label, i) => [label, i]));
  const candidates: Candidate[] = [];
  const add = (text: string, category: string, source: string, file: string): void => {
    const label = index.get(category.trim());
    if (label === undefined) throw new DatasetError(`${file}: unknown category '${category}'`);
    candidates.push({ text, label, source });
  };
  const [proFile] = DOMAIN_FILES['mmlu-pro'];
  for (const row of readCsv(dataDir, proFile, ['category', 'question'])) {
    add(row.question ?? '', row.category ?? '', 'mmlu-pro', proFile);
  }
  const [reduxFile] = DOMAIN_FILES['mmlu-redux'];
  for (const row of readCsv(dataDir, reduxFile, ['mmlu_pro_category', 'question'])) {
    const category = (row.mmlu_pro_category ?? '').trim();
    if (category === '') continue;
    add(row.question ?? '', category, 'mmlu-redux', reduxFile);
  }
  return buildDataset('domain', DOMAIN_LABELS, candidates, DOMAIN_FILES, SPLIT_METHOD);
}
