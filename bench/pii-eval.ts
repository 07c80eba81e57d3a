// Span-level precision / recall / F1 of the structured PII detectors on Presidio's synthetic set, plus the binary
// "contains structured PII" check on pii-synthetic-nano. Prints aggregate counts only, never PII values.
// Usage: node --import tsx bench/pii-eval.ts [--data ../shared/data] [--threshold 0.5] [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectPii } from '../src/pii/detect.ts';
import { PII_TYPES, type PiiSpan, type PiiType } from '../src/pii/types.ts';

interface Args {
  readonly data: string;
  readonly threshold: number;
  readonly json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let data = '../shared/data';
  let threshold = 0.5;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') data = argv[++i] ?? data;
    else if (arg === '--threshold') threshold = Number(argv[++i] ?? threshold);
    else if (arg === '--json') json = true;
    else throw new Error(`unknown argument ${arg}; usage: pii-eval.ts [--data DIR] [--threshold T] [--json]`);
  }
  return { data, threshold, json };
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

interface Scores {
  readonly gold: number;
  readonly predicted: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

function scores(c: Counts, gold: number, predicted: number): Scores {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { gold, predicted, precision, recall, f1 };
}

interface GoldSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/** Counts matches of one type in one text; each gold span pairs with at most one predicted span. */
function compare(
  gold: readonly GoldSpan[],
  predicted: readonly PiiSpan[],
  overlap: boolean,
  counts: Counts,
): void {
  const used = new Set<number>();
  for (const g of gold) {
    const index = predicted.findIndex(
      (p, i) =>
        !used.has(i) &&
        (overlap ? p.start < g.end && g.start < p.end : p.start === g.start && p.end === g.end),
    );
    if (index >= 0) {
      used.add(index);
      counts.tp++;
    } else counts.fn++;
  }
  counts.fp += predicted.length - used.size;
}

interface PresidioRow {
  readonly full_text: string;
  readonly spans: readonly {
    readonly entity_type: string;
    readonly start_position: number;
    readonly end_position: number;
  }[];
}

function evaluatePresidio(path: string, threshold: number) {
  const rows = JSON.parse(readFileSync(path, 'utf8')) as PresidioRow[];
  const present = new Set(rows.flatMap((r) => r.spans.map((s) => s.entity_type)));
  const types = PII_TYPES.filter((t) => present.has(t));
  const exact = new Map<PiiType, Counts>(types.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
  const overlap = new Map<PiiType, Counts>(types.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
  const goldCount = new Map<PiiType, number>();
  const predictedCount = new Map<PiiType, number>();
  let chars = 0;
  const started = process.hrtime.bigint();
  const detections = rows.map((row) => {
    chars += row.full_text.length;
    return detectPii(row.full_text).filter((s) => s.confidence >= threshold);
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  rows.forEach((row, index) => {
    const predictedAll = detections[index] ?? [];
    for (const type of types) {
      const gold = row.spans
        .filter((s) => s.entity_type === type)
        .map((s) => ({ type, start: s.start_position, end: s.end_position }));
      const predicted = predictedAll.filter((s) => s.type === type);
      goldCount.set(type, (goldCount.get(type) ?? 0) + gold.length);
      predictedCount.set(type, (predictedCount.get(type) ?? 0) + predicted.length);
      compare(gold, predicted, false, exact.get(type) as Counts);
      compare(gold, predicted, true, overlap.get(type) as Counts);
    }
  });
  const table = types.map((type) => {
    const gold = goldCount.get(type) ?? 0;
    const predicted = predictedCount.get(type) ?? 0;
    return {
      type,
      exact: scores(exact.get(type) as Counts, gold, predicted),
      overlap: scores(overlap.get(type) as Counts, gold, predicted),
    };
  });
  const sum = (m: Map<PiiType, Counts>): Counts =>
    [...m.values()].reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), {
      tp: 0,
      fp: 0,
      fn: 0,
    });
  const gold = [...goldCount.values()].reduce((a, b) => a + b, 0);
  const predicted = [...predictedCount.values()].reduce((a, b) => a + b, 0);
  return {
    rows: rows.length,
    chars,
    detectMs: elapsedMs,
    table,
    micro: { exact: scores(sum(exact), gold, predicted), overlap: scores(sum(overlap), gold, predicted) },
  };
}

interface NanoRow {
  readonly text: string;
  readonly NER: readonly { readonly label: string }[];
  readonly has_pii: boolean;
}

/** Nano-set labels that name a structured type the detectors cover. */
const NANO_STRUCTURED = new Set(['EMAIL', 'PHONE', 'SSN', 'IBAN', 'CREDIT_CARD']);

function evaluateNano(path: string, threshold: number) {
  const rows = JSON.parse(readFileSync(path, 'utf8')) as NanoRow[];
  const structured: Counts & { tn: number } = { tp: 0, fp: 0, fn: 0, tn: 0 };
  const any: Counts & { tn: number } = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const row of rows) {
    const predicted = detectPii(row.text).some((s) => s.confidence >= threshold);
    const tally = (c: Counts & { tn: number }, gold: boolean) => {
      if (predicted && gold) c.tp++;
      else if (predicted) c.fp++;
      else if (gold) c.fn++;
      else c.tn++;
    };
    tally(
      structured,
      row.NER.some((e) => NANO_STRUCTURED.has(e.label)),
    );
    tally(any, row.has_pii);
  }
  const binary = (c: Counts & { tn: number }) => ({
    ...scores(c, c.tp + c.fn, c.tp + c.fp),
    tp: c.tp,
    fp: c.fp,
    fn: c.fn,
    tn: c.tn,
  });
  return { rows: rows.length, structuredPii: binary(structured), anyPii: binary(any) };
}

const fmt = (x: number) => x.toFixed(3);

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const presidio = evaluatePresidio(
    join(args.data, 'presidio-synth', 'synth_dataset_v2.json'),
    args.threshold,
  );
  const nano = evaluateNano(join(args.data, 'pii-synthetic-nano', 'pii_syn_nano_en.json'), args.threshold);
  if (args.json) {
    console.log(JSON.stringify({ threshold: args.threshold, presidio, nano }, null, 2));
    return;
  }
  console.log(
    `presidio-synth: ${presidio.rows} texts, ${presidio.chars} chars, detection ${presidio.detectMs.toFixed(1)} ms, ` +
      `threshold ${args.threshold}`,
  );
  console.log(
    `${'type'.padEnd(14)} ${'gold'.padStart(5)} ${'pred'.padStart(5)}  exact P / R / F1       overlap P / R / F1`,
  );
  const line = (name: string, e: Scores, o: Scores) =>
    console.log(
      `${name.padEnd(14)} ${String(e.gold).padStart(5)} ${String(e.predicted).padStart(5)}  ` +
        `${fmt(e.precision)} ${fmt(e.recall)} ${fmt(e.f1)}    ${fmt(o.precision)} ${fmt(o.recall)} ${fmt(o.f1)}`,
    );
  for (const row of presidio.table) line(row.type, row.exact, row.overlap);
  line('micro', presidio.micro.exact, presidio.micro.overlap);
  for (const [name, b] of [
    ['structured PII (EMAIL/PHONE/SSN/IBAN/CREDIT_CARD labels)', nano.structuredPii],
    ['any PII (has_pii)', nano.anyPii],
  ] as const) {
    console.log(
      `pii-synthetic-nano ${name}: P ${fmt(b.precision)} R ${fmt(b.recall)} F1 ${fmt(b.f1)} ` +
        `(tp ${b.tp} fp ${b.fp} fn ${b.fn} tn ${b.tn}, ${nano.rows} texts)`,
    );
  }
}

main();
