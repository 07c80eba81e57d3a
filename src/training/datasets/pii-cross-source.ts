// Cross-source sets for the `pii` signal: exam questions, everyday prompts and other-language sentences that carry
// no PII (fire rate), and PII-bearing texts the tagger never trained on (recall). Label 1 = the text has PII.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PII_TYPES } from '../../pii/types.ts';
import { DatasetError, readCsv } from './build.ts';
import type { CrossSourceSet } from './cross-source.ts';
import { loadPiiDataset } from './pii.ts';
import type { LabelledText } from './types.ts';

/** The structured types the validators report (Presidio names). */
const STRUCTURED = PII_TYPES;

/** pii-synthetic-nano labels of the structured types above. */
const NANO_STRUCTURED = new Set(['EMAIL', 'PHONE', 'SSN', 'IBAN', 'CREDIT_CARD']);

export interface PiiCrossSourceSet extends CrossSourceSet {
  /** For recall sets: the PII types the rows carry, which a rule must report to count (all types when absent). */
  readonly types?: readonly string[];
}

export const PII_FIRE_RATE_TARGET = 0.05;
export const PII_LANGUAGE_FIRE_RATE_TARGET = 0.02;
export const PII_STRUCTURED_RECALL_TARGET = 0.95;
export const PII_PERSON_RECALL_TARGET = 0.85;

const negative = (text: string, source: string): LabelledText => ({ text, label: 0, source, group: source });
const positive = (text: string, source: string): LabelledText => ({ text, label: 1, source, group: source });

function csvSet(
  dataDir: string,
  name: string,
  file: string,
  column: string,
  keep: (row: Record<string, string>) => boolean = () => true,
): PiiCrossSourceSet {
  const rows = readCsv(dataDir, file, [column])
    .filter(keep)
    .map((row) => (row[column] ?? '').trim())
    .filter((text) => text !== '')
    .map((text) => negative(text, name));
  return { name, files: [file], metric: 'fire_rate', rows, target: PII_FIRE_RATE_TARGET };
}

interface NanoRow {
  readonly text: string;
  readonly labels: readonly string[];
}

function readNano(dataDir: string, file: string): NanoRow[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(dataDir, file), 'utf8'));
  } catch (error) {
    throw new DatasetError(`cannot read ${path.join(dataDir, file)}: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new DatasetError(`${file}: expected a JSON array`);
  return raw.map((row: { text?: unknown; NER?: { label?: unknown }[] }) => ({
    text: typeof row.text === 'string' ? row.text : '',
    labels: (row.NER ?? []).map((e) => String(e.label ?? '')),
  }));
}

/** Fire-rate sets: MMLU-style exam questions and everyday prompts, none of which the tagger trains on. */
export function piiFireRateSets(dataDir: string): PiiCrossSourceSet[] {
  return [
    csvSet(dataDir, 'mmlu-pro', 'mmlu-pro/mmlu_pro_test_question_category.csv', 'question'),
    csvSet(dataDir, 'mmlu-redux', 'mmlu-redux/mmlu_redux_57subjects.csv', 'question'),
    csvSet(dataDir, 'alpacaeval-prompts', 'alpacaeval-prompts/alpaca_eval_instructions.csv', 'instruction'),
    csvSet(dataDir, 'clinc150 test', 'clinc150/clinc150_full.csv', 'text', (row) => row.split === 'test'),
    csvSet(dataDir, 'gqr-proxy banking77', 'gqr-proxy/finance_banking77_test.csv', 'text'),
    csvSet(dataDir, 'gqr-proxy genmedgpt', 'gqr-proxy/healthcare_genmedgpt5k.csv', 'text'),
    csvSet(dataDir, 'gqr-proxy olid', 'gqr-proxy/ood_olid_test.csv', 'text'),
    csvSet(dataDir, 'gqr-proxy webquestions', 'gqr-proxy/ood_webquestions_test.csv', 'text'),
  ];
}

/** One fire-rate set per language: the 300 sentences of each of lingua-langid's 24 languages. */
export function piiLanguageSets(dataDir: string): PiiCrossSourceSet[] {
  const file = 'lingua-langid/lingua_testdata_24langs.csv';
  const byLang = new Map<string, LabelledText[]>();
  for (const row of readCsv(dataDir, file, ['lang', 'kind', 'text'])) {
    if (row.kind !== 'sentence' || !row.text) continue;
    const name = `lingua-langid ${row.lang}`;
    const rows = byLang.get(name) ?? [];
    byLang.set(name, rows);
    rows.push(negative(row.text, name));
  }
  return [...byLang].map(([name, rows]) => ({
    name,
    files: [file],
    metric: 'fire_rate',
    rows,
    target: PII_LANGUAGE_FIRE_RATE_TARGET,
  }));
}

/**
 * Recall sets: Presidio's held-out templates (the tagger's test split) and pii-synthetic-nano (never trained on),
 * each as rows with structured PII and rows with a person's name.
 */
export function piiRecallSets(dataDir: string): PiiCrossSourceSet[] {
  const presidio = loadPiiDataset(dataDir).test;
  const presidioFile = 'presidio-synth/synth_dataset_v2.json';
  const nanoFile = 'pii-synthetic-nano/pii_syn_nano_en.json';
  const nano = readNano(dataDir, nanoFile);
  const structured = new Set<string>(STRUCTURED);
  return [
    {
      name: 'presidio-synth held-out templates: structured',
      files: [presidioFile],
      metric: 'recall',
      types: STRUCTURED,
      rows: presidio
        .filter((r) => r.spans.some((s) => structured.has(s.label)))
        .map((r) => positive(r.text, 'presidio-synth')),
      target: PII_STRUCTURED_RECALL_TARGET,
    },
    {
      name: 'presidio-synth held-out templates: PERSON',
      files: [presidioFile],
      metric: 'recall',
      types: ['PERSON'],
      rows: presidio
        .filter((r) => r.spans.some((s) => s.label === 'PERSON'))
        .map((r) => positive(r.text, 'presidio-synth')),
      target: PII_PERSON_RECALL_TARGET,
    },
    {
      name: 'pii-synthetic-nano: structured',
      files: [nanoFile],
      metric: 'recall',
      types: STRUCTURED,
      rows: nano
        .filter((r) => r.labels.some((l) => NANO_STRUCTURED.has(l)))
        .map((r) => positive(r.text, 'pii-synthetic-nano')),
      target: PII_STRUCTURED_RECALL_TARGET,
    },
    {
      name: 'pii-synthetic-nano: PERSON',
      files: [nanoFile],
      metric: 'recall',
      types: ['PERSON'],
      rows: nano
        .filter((r) => r.labels.includes('PERSON'))
        .map((r) => positive(r.text, 'pii-synthetic-nano')),
      target: PII_PERSON_RECALL_TARGET,
    },
  ];
}

/** Every cross-source set of the `pii` signal. */
export function crossSourceSets(dataDir: string): PiiCrossSourceSet[] {
  return [...piiRecallSets(dataDir), ...piiFireRateSets(dataDir), ...piiLanguageSets(dataDir)];
}
