// Evaluation sets of the domain model beyond its test split: everyday prompts from sources it was never trained
// on (which should get no domain), and its held-out exam questions with typos.
import { readCsv } from './build.ts';
import type { CrossSourceSet } from './cross-source.ts';
import { loadDomainDataset } from './domain.ts';
import { normalizeForDedupe } from './split.ts';
import type { LabelledText } from './types.ts';
import { withTypos } from './typos.ts';

const CLINC_FILE = 'clinc150/clinc150_full.csv';
const ALPACA_FILE = 'alpacaeval-prompts/alpaca_eval_instructions.csv';
/** Label of rows that should get no domain. */
const NO_DOMAIN = -1;

/** The sets; everyday prompts that are also rows of the domain task are left out. */
export function domainCrossSourceSets(dataDir: string): CrossSourceSet[] {
  const dataset = loadDomainDataset(dataDir);
  const known = new Set(
    [...dataset.train, ...dataset.validation, ...dataset.test].map((r) => normalizeForDedupe(r.text)),
  );
  const everyday = (texts: readonly string[], source: string): LabelledText[] =>
    texts
      .filter((t) => t.trim() !== '' && !known.has(normalizeForDedupe(t)))
      .map((text) => ({ text, label: NO_DOMAIN, source, group: text }));
  const examFiles = dataset.sources.flatMap((s) => s.files);
  const clinc = readCsv(dataDir, CLINC_FILE, ['split', 'text']).filter((r) => r.split === 'test');
  const alpaca = readCsv(dataDir, ALPACA_FILE, ['instruction']);
  return [
    {
      name: 'held-out exam questions (test split of the trained sources), with typos',
      files: examFiles,
      metric: 'accuracy',
      rows: dataset.test.map((r) => ({ ...r, text: withTypos(r.text) })),
      target: 0.8,
    },
    {
      name: 'held-out exam questions left without a domain',
      files: examFiles,
      metric: 'unlabelled',
      rows: dataset.test,
      target: 0.05,
    },
    {
      name: 'clinc150 test split (assistant queries)',
      files: [CLINC_FILE],
      metric: 'abstain',
      rows: everyday(
        clinc.map((r) => r.text ?? ''),
        'clinc150',
      ),
      target: 0.95,
    },
    {
      name: 'alpacaeval prompts (everyday chat)',
      files: [ALPACA_FILE],
      metric: 'abstain',
      rows: everyday(
        alpaca.map((r) => r.instruction ?? ''),
        'alpacaeval',
      ),
      target: 0.95,
    },
  ];
}
