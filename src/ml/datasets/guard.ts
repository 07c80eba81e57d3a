// The `guard` task: finance / healthcare / out-of-domain queries from the GQR-Bench-style gqr-proxy files.
import { buildDataset, type Candidate, DatasetError, readCsv } from './build.ts';
import { SPLIT_METHOD } from './split.ts';
import type { TaskDataset } from './types.ts';

export const GUARD_LABELS: readonly string[] = ['finance', 'healthcare', 'out_of_domain'];

export const GUARD_FILES = {
  'gqr-finance-banking77': ['gqr-proxy/finance_banking77_test.csv'],
  'gqr-healthcare-genmedgpt5k': ['gqr-proxy/healthcare_genmedgpt5k.csv'],
  'gqr-ood-olid': ['gqr-proxy/ood_olid_test.csv'],
  'gqr-ood-webquestions': ['gqr-proxy/ood_webquestions_test.csv'],
} as const;

/** Loads the four gqr-proxy files; label 1/2/3 → finance/healthcare/out_of_domain. */
export function loadGuardDataset(dataDir: string): TaskDataset {
  const candidates: Candidate[] = [];
  for (const [source, [file]] of Object.entries(GUARD_FILES)) {
    for (const row of readCsv(dataDir, file, ['text', 'label'])) {
      const label = Number(row.label) - 1;
      if (!Number.isInteger(label) || label < 0 || label > 2) {
        throw new DatasetError(`${file}: label '${row.label}' is not 1, 2 or 3`);
      }
      candidates.push({ text: row.text ?? '', label, source });
    }
  }
  return buildDataset('guard', GUARD_LABELS, candidates, GUARD_FILES, SPLIT_METHOD);
}
