// The `guard` task: finance / healthcare / out-of-domain queries from the GQR-Bench-style gqr-proxy files.
import { BENIGN_INSTRUCTION_SPLIT, benignInstructions } from './benign-instructions.ts';
import { buildDataset, type Candidate, DatasetError, readCsv } from './build.ts';
import { SPLIT_METHOD } from './split.ts';
import type { TaskDataset } from './types.ts';

export const GUARD_LABELS: readonly string[] = ['finance', 'healthcare', 'out_of_domain'];

export const GUARD_FILES = {
  'gqr-finance-banking77': ['gqr-proxy/finance_banking77_test.csv'],
  'gqr-healthcare-genmedgpt5k': ['gqr-proxy/healthcare_genmedgpt5k.csv'],
  'gqr-ood-olid': ['gqr-proxy/ood_olid_test.csv'],
  'gqr-ood-webquestions': ['gqr-proxy/ood_webquestions_test.csv'],
  'lingua-short-ood': ['lingua-langid/lingua_testdata_24langs.csv'],
  'templated-ood': ['lingua-langid/lingua_testdata_24langs.csv'],
} as const;

/** How many fillings of each everyday-instruction template join the out-of-domain class. */
const FILLS_PER_INSTRUCTION = 6;

/**
 * Loads the four gqr-proxy files (label 1/2/3 → finance/healthcare/out_of_domain) plus short phrases and
 * everyday instructions as out_of_domain: gqr's out-of-domain texts are tweets and questions, so a bare
 * "hi" used to land in healthcare with certainty.
 */
export function loadGuardDataset(dataDir: string): TaskDataset {
  const candidates: Candidate[] = [];
  const gqrSources = [
    'gqr-finance-banking77',
    'gqr-healthcare-genmedgpt5k',
    'gqr-ood-olid',
    'gqr-ood-webquestions',
  ] as const;
  for (const source of gqrSources) {
    const [file] = GUARD_FILES[source];
    for (const row of readCsv(dataDir, file, ['text', 'label'])) {
      const label = Number(row.label) - 1;
      if (!Number.isInteger(label) || label < 0 || label > 2) {
        throw new DatasetError(`${file}: label '${row.label}' is not 1, 2 or 3`);
      }
      candidates.push({ text: row.text ?? '', label, source });
    }
  }
  const lingua = readCsv(dataDir, GUARD_FILES['lingua-short-ood'][0], ['lang', 'kind', 'text']);
  for (const row of lingua) {
    if (row.kind === 'word_pair')
      candidates.push({ text: row.text ?? '', label: 2, source: 'lingua-short-ood' });
  }
  const english = lingua.filter((r) => r.lang === 'en');
  const sources = {
    topics: english.filter((r) => r.kind === 'word_pair').map((r) => r.text ?? ''),
    sentences: english.filter((r) => r.kind === 'sentence').map((r) => r.text ?? ''),
  };
  candidates.push(...benignInstructions(sources, FILLS_PER_INSTRUCTION, 2, 'templated-ood'));
  return buildDataset(
    'guard',
    GUARD_LABELS,
    candidates,
    GUARD_FILES,
    `${SPLIT_METHOD}; ${BENIGN_INSTRUCTION_SPLIT}`,
  );
}
