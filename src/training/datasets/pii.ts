// The `pii` task: Presidio's synthetic sentences with character spans, split by template for held-out evaluation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LabelledRange } from '../../ml/tagger/spans.ts';
import { DatasetError } from './build.ts';
import { SPLIT_SALT, type SplitName, splitOf } from './split.ts';

export const PII_DATA_FILE = 'presidio-synth/synth_dataset_v2.json';

/** One annotated text; `spans` holds every annotated entity type (the trainer picks the ones it learns). */
export interface PiiExample {
  readonly text: string;
  readonly spans: readonly LabelledRange[];
  /** Split group: the Presidio template the sentence was generated from. */
  readonly group: string;
}

export interface PiiDataset {
  readonly file: string;
  readonly train: readonly PiiExample[];
  readonly validation: readonly PiiExample[];
  readonly test: readonly PiiExample[];
  readonly splitMethod: string;
  /** Templates per split. */
  readonly groups: Readonly<Record<SplitName, number>>;
}

export const PII_SPLIT_METHOD =
  `hash split by template: FNV-1a+fmix32 of '${SPLIT_SALT}:template:' + Presidio template_id, mod 1000; ` +
  '< 800 train, < 900 validation, rest test (no sentence template is shared between splits)';

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DatasetError(`${where}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function parseSpan(raw: unknown, text: string, where: string): LabelledRange {
  const s = record(raw, where);
  const { entity_type: label, start_position: start, end_position: end, entity_value: value } = s;
  if (typeof label !== 'string' || typeof start !== 'number' || typeof end !== 'number') {
    throw new DatasetError(`${where}: needs entity_type, start_position and end_position`);
  }
  if (
    !(start >= 0 && start < end && end <= text.length) ||
    (value !== undefined && text.slice(start, end) !== value)
  ) {
    throw new DatasetError(`${where}: offsets [${start}, ${end}) do not select entity_value`);
  }
  return { label, start, end };
}

/** Parses the data set's rows (`full_text`, `spans`, `template_id`). */
export function parsePiiRows(rows: unknown, file: string): PiiExample[] {
  if (!Array.isArray(rows)) throw new DatasetError(`${file}: expected a JSON array of rows`);
  return rows.map((raw, i) => {
    const row = record(raw, `${file}[${i}]`);
    const text = row.full_text;
    if (typeof text !== 'string') throw new DatasetError(`${file}[${i}]: full_text is not a string`);
    const spans = Array.isArray(row.spans) ? row.spans : [];
    const template = row.template_id;
    return {
      text,
      spans: spans.map((s, k) => parseSpan(s, text, `${file}[${i}].spans[${k}]`)),
      group: template === undefined || template === null ? `text:${text}` : `template:${String(template)}`,
    };
  });
}

/** Loads and splits the data set from `dataDir` (the shared data folder); `maxRows` keeps the first rows. */
export function loadPiiDataset(dataDir: string, maxRows?: number): PiiDataset {
  const file = path.join(dataDir, PII_DATA_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DatasetError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const all = parsePiiRows(raw, PII_DATA_FILE);
  const rows = maxRows === undefined ? all : all.slice(0, maxRows);
  const splits: Record<SplitName, PiiExample[]> = { train: [], validation: [], test: [] };
  const groups: Record<SplitName, Set<string>> = { train: new Set(), validation: new Set(), test: new Set() };
  for (const row of rows) {
    const split = splitOf(row.group);
    splits[split].push(row);
    groups[split].add(row.group);
  }
  return {
    file: PII_DATA_FILE,
    ...splits,
    splitMethod: PII_SPLIT_METHOD,
    groups: { train: groups.train.size, validation: groups.validation.size, test: groups.test.size },
  };
}
