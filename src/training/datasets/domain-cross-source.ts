// Cross-source figures of the domain model: exam questions and everyday prompts from sources it was not trained on.
import { readCsv } from './build.ts';
import type { CrossSourceSet } from './cross-source.ts';
import { DOMAIN_FILES, DOMAIN_LABELS, loadDomainDataset, OFF_TOPIC_LABEL } from './domain.ts';
import { normalizeForDedupe } from './split.ts';
import type { LabelledText } from './types.ts';
import { withTypos } from './typos.ts';

const REDUX_FILE = 'mmlu-redux/mmlu_redux_57subjects.csv';
const CLINC_FILE = 'clinc150/clinc150_full.csv';
const ALPACA_FILE = 'alpacaeval-prompts/alpaca_eval_instructions.csv';

/** MMLU-Redux questions with a category whose normalised text is not an MMLU-Pro question. */
function reduxRows(dataDir: string): LabelledText[] {
  const pro = new Set(
    readCsv(dataDir, DOMAIN_FILES['mmlu-pro'][0], ['question']).map((r) =>
      normalizeForDedupe(r.question ?? ''),
    ),
  );
  const seen = new Set<string>();
  const rows: LabelledText[] = [];
  for (const r of readCsv(dataDir, REDUX_FILE, ['mmlu_pro_category', 'question'])) {
    const label = DOMAIN_LABELS.indexOf((r.mmlu_pro_category ?? '').trim());
    const key = normalizeForDedupe(r.question ?? '');
    if (label < 0 || key === '' || pro.has(key) || seen.has(key)) continue;
    seen.add(key);
    rows.push({ text: r.question ?? '', label, source: 'mmlu-redux', group: key });
  }
  return rows;
}

function offTopic(texts: readonly string[], source: string): LabelledText[] {
  const label = DOMAIN_LABELS.indexOf(OFF_TOPIC_LABEL);
  return texts.filter((t) => t.trim() !== '').map((text) => ({ text, label, source, group: text }));
}

/** The sets, less any text that is also a training, validation or test row of the domain task. */
export function domainCrossSourceSets(dataDir: string): CrossSourceSet[] {
  const dataset = loadDomainDataset(dataDir);
  const trained = new Set(
    [...dataset.train, ...dataset.validation, ...dataset.test].map((r) => normalizeForDedupe(r.text)),
  );
  return crossSourceCandidates(dataDir).map((set) => ({
    ...set,
    rows: set.rows.filter((r) => !trained.has(normalizeForDedupe(r.text))),
  }));
}

function crossSourceCandidates(dataDir: string): CrossSourceSet[] {
  const redux = reduxRows(dataDir);
  const clincRows = readCsv(dataDir, CLINC_FILE, ['split', 'text']);
  const clincTrained = new Set(
    clincRows.filter((r) => r.split === 'train').map((r) => normalizeForDedupe(r.text ?? '')),
  );
  const clinc = clincRows.filter(
    (r) => r.split === 'test' && !clincTrained.has(normalizeForDedupe(r.text ?? '')),
  );
  const alpaca = readCsv(dataDir, ALPACA_FILE, ['instruction']);
  return [
    {
      name: 'mmlu-redux, not in MMLU-Pro',
      files: [REDUX_FILE],
      metric: 'accuracy',
      rows: redux,
      target: 0.85,
    },
    {
      name: 'mmlu-redux with typos',
      files: [REDUX_FILE],
      metric: 'accuracy',
      rows: redux.map((r) => ({ ...r, text: withTypos(r.text) })),
      target: 0.8,
    },
    {
      name: 'mmlu-redux left without a domain',
      files: [REDUX_FILE],
      metric: 'unlabelled',
      rows: redux,
      target: 0.05,
    },
    {
      name: 'clinc150 test split (assistant queries; its train split is trained on)',
      files: [CLINC_FILE],
      metric: 'abstain',
      rows: offTopic(
        clinc.map((r) => r.text ?? ''),
        'clinc150',
      ),
      target: 0.95,
    },
    {
      name: 'alpacaeval prompts (everyday chat)',
      files: [ALPACA_FILE],
      metric: 'abstain',
      rows: offTopic(
        alpaca.map((r) => r.instruction ?? ''),
        'alpacaeval',
      ),
      target: 0.95,
    },
  ];
}
