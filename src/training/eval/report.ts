// The text report of `semantic-router eval`: per-model tables and the summary table the model READMEs show.

import { formatPercent, markdownTable } from '../metrics.ts';
import type { EntityModelEvaluation } from '../tagger/evaluate-tagger.ts';
import { crossSourceTable } from './cross-source-figures.ts';
import { type EvalReport, type ModelEvaluation, WARM_UP_CALLS } from './evaluate.ts';

const pct = formatPercent;
const ms = (x: number): string => x.toFixed(3);
const count = (x: number): string => x.toLocaleString('en-US');

/** One row per model: the table `eval` prints last and the model READMEs show. */
export function renderSummary(report: EvalReport): string[] {
  return markdownTable(
    [
      'model',
      'task',
      'test rows',
      'accuracy',
      'macro F1',
      'attack recall',
      'FPR',
      'p50 ms (batch 1)',
      'p99 ms (batch 1)',
      'texts/s (batch 32)',
    ],
    report.models.map((m) => [
      m.name,
      m.task,
      m.evaluated === m.testRows ? count(m.testRows) : `${count(m.evaluated)} of ${count(m.testRows)}`,
      pct(m.metrics.accuracy),
      pct(m.metrics.macroF1),
      m.detection === null ? '–' : pct(m.detection.recall),
      m.detection === null ? '–' : pct(m.detection.falsePositiveRate),
      ms(m.latency.p50Ms),
      ms(m.latency.p99Ms),
      count(m.throughput.textsPerSecond),
    ]),
    [false, false, true, true, true, true, true, true, true, true],
  );
}

/** The detailed tables of one model. */
export function renderModel(m: ModelEvaluation): string[] {
  const cardAccuracy = m.card.accuracy === null ? '' : ` (card: ${pct(m.card.accuracy)})`;
  const rows: string[][] = [
    [
      'test rows evaluated',
      `${count(m.evaluated)} of ${count(m.testRows)}${m.card.testRows === null ? '' : ` (card: ${count(m.card.testRows)})`}`,
    ],
    ['accuracy', `${pct(m.metrics.accuracy)}${m.evaluated === m.testRows ? cardAccuracy : ''}`],
    ['macro F1', pct(m.metrics.macroF1)],
  ];
  const d = m.detection;
  if (d !== null) {
    rows.push(
      ['threshold on P(unsafe) = 1 − P(benign) (card)', d.threshold.toFixed(4)],
      ['recall on attacks', `${pct(d.recall)} (${d.positives})`],
      ['false-positive rate (all benign)', `${pct(d.falsePositiveRate)} (${d.negatives})`],
      [
        'false-positive rate (reference benign)',
        `${pct(d.referenceFalsePositiveRate)} (${d.referenceNegatives})`,
      ],
    );
  }
  rows.push(
    ['latency p50 / p99 (batch 1)', `${ms(m.latency.p50Ms)} ms / ${ms(m.latency.p99Ms)} ms`],
    [`throughput (batch ${m.throughput.batchSize})`, `${count(m.throughput.textsPerSecond)} texts/s`],
  );
  return [
    `### ${m.name} (task \`${m.task}\`, ${m.dir})`,
    '',
    ...markdownTable(['metric', 'value'], rows, [false, true]),
    '',
    ...markdownTable(
      ['class', 'support', 'precision', 'recall', 'F1'],
      m.metrics.perClass.map((c) => [c.label, String(c.support), pct(c.precision), pct(c.recall), pct(c.f1)]),
      [false, true, true, true, true],
    ),
    ...(m.crossSource.length === 0
      ? []
      : [
          '',
          'Cross-source (sources this model was not trained on):',
          '',
          ...crossSourceTable(m.crossSource),
        ]),
  ];
}

/** The span scores of one entity tagger. */
export function renderEntityModel(m: EntityModelEvaluation): string[] {
  return [
    `### ${m.name} (task \`pii\`, ${m.dir})`,
    '',
    `${count(m.evaluated)} of ${count(m.testRows)} held-out texts; latency p50 / p99 (batch 1) ` +
      `${ms(m.latency.p50Ms)} ms / ${ms(m.latency.p99Ms)} ms; ${count(m.throughput.textsPerSecond)} texts/s ` +
      `(batch ${m.throughput.batchSize}).`,
    '',
    ...markdownTable(
      ['type', 'gold spans', 'predicted', 'exact P / R / F1', 'overlap P / R / F1'],
      Object.entries(m.metrics).map(([type, s]) => [
        type,
        String(s.exact.gold),
        String(s.exact.predicted),
        `${pct(s.exact.precision)} / ${pct(s.exact.recall)} / ${pct(s.exact.f1)}`,
        `${pct(s.overlap.precision)} / ${pct(s.overlap.recall)} / ${pct(s.overlap.f1)}`,
      ]),
      [false, true, true, true, true],
    ),
  ];
}

/** The whole text report: one section per model, then the summary. */
export function renderReport(report: EvalReport): string {
  const lines: string[] = [];
  for (const m of report.models) lines.push(...renderModel(m), '');
  for (const m of report.entityModels ?? []) lines.push(...renderEntityModel(m), '');
  lines.push(
    '### Summary',
    '',
    ...renderSummary(report),
    '',
    `Held-out test split of each card's task from ${report.dataDir}` +
      `${report.maxRows === null ? '' : `, at most ${report.maxRows} rows per model`}; FPR over every benign ` +
      `text at the card's threshold; latency = sequential batch-1 classify() through the ONNX session pool ` +
      `after ${WARM_UP_CALLS} warm-up calls (Node ${report.nodeVersion}).`,
    '',
  );
  return lines.join('\n');
}
