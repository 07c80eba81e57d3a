// Reads data files and turns labelled texts into deduplicated, deterministically split task data sets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsvRecords } from './csv.ts';
import { normalizeForDedupe, SPLIT_NAMES, splitOf } from './split.ts';
import type { LabelledText, SourceCounts, Splits, TaskDataset, TaskName } from './types.ts';

/** A data file that is missing or malformed. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

function readText(dataDir: string, file: string): string {
  try {
    return readFileSync(path.join(dataDir, file), 'utf8');
  } catch (error) {
    throw new DatasetError(`cannot read ${path.join(dataDir, file)}: ${(error as Error).message}`);
  }
}

/** CSV records of a data file, checking that the named columns exist. */
export function readCsv(dataDir: string, file: string, columns: readonly string[]): Record<string, string>[] {
  const records = parseCsvRecords(readText(dataDir, file));
  const first = records[0];
  if (first === undefined) throw new DatasetError(`${file}: no rows`);
  for (const column of columns) {
    if (!(column in first)) throw new DatasetError(`${file}: column '${column}' is missing`);
  }
  return records;
}

/** Objects of a JSON Lines data file. */
export function readJsonl(dataDir: string, file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const lines = readText(dataDir, file).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DatasetError(`${file}:${i + 1}: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DatasetError(`${file}:${i + 1}: not a JSON object`);
    }
    out.push(value as Record<string, unknown>);
  }
  return out;
}

/** One candidate row before deduplication; `group` defaults to the normalised text. */
export interface Candidate {
  readonly text: string;
  readonly label: number;
  readonly source: string;
  readonly group?: string;
}

/**
 * Drops empty texts and later duplicates (same normalised text; the first occurrence wins, so list the
 * preferred source first), then assigns each text to the split of its group key.
 */
export function buildDataset(
  task: TaskName,
  labels: readonly string[],
  candidates: readonly Candidate[],
  files: Readonly<Record<string, readonly string[]>>,
  splitMethod: string,
): TaskDataset {
  const seen = new Set<string>();
  const splits: Splits = { train: [], validation: [], test: [] };
  const counts = new Map<string, { train: number; validation: number; test: number }>();
  let duplicates = 0;
  let empty = 0;
  for (const c of candidates) {
    const normalized = normalizeForDedupe(c.text);
    if (normalized === '' || !(c.label >= 0 && c.label < labels.length)) {
      empty++;
      continue;
    }
    if (seen.has(normalized)) {
      duplicates++;
      continue;
    }
    seen.add(normalized);
    const group = c.group ?? normalized;
    const split = splitOf(group);
    const item: LabelledText = { text: c.text, label: c.label, source: c.source, group };
    splits[split].push(item);
    let count = counts.get(c.source);
    if (count === undefined) {
      count = { train: 0, validation: 0, test: 0 };
      counts.set(c.source, count);
    }
    count[split]++;
  }
  const sources: SourceCounts[] = [...counts.entries()].map(([source, count]) => ({
    source,
    files: files[source] ?? [],
    ...count,
  }));
  return {
    task,
    labels,
    ...splits,
    sources,
    splitMethod,
    dropped: { duplicates, empty },
  };
}

/** Keeps at most `maxRows` training rows (and an eighth as many, at least 20, per held-out split). */
export function limitRows(dataset: TaskDataset, maxRows: number): TaskDataset {
  const held = Math.max(20, Math.ceil(maxRows / 8));
  const pick = (rows: readonly LabelledText[], n: number): LabelledText[] => {
    if (rows.length <= n) return [...rows];
    // Every k-th row keeps the class and source mix of the full split.
    const out: LabelledText[] = [];
    const stride = rows.length / n;
    for (let i = 0; i < n; i++) {
      const row = rows[Math.floor(i * stride)];
      if (row !== undefined) out.push(row);
    }
    return out;
  };
  const limited = {
    train: pick(dataset.train, maxRows),
    validation: pick(dataset.validation, held),
    test: pick(dataset.test, held),
  };
  const sources = dataset.sources.map((s) => {
    const count = { train: 0, validation: 0, test: 0 };
    for (const split of SPLIT_NAMES)
      count[split] = limited[split].filter((r) => r.source === s.source).length;
    return { ...s, ...count };
  });
  return { ...dataset, ...limited, sources };
}
