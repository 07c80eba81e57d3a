// Scores an exported PII entity model on the held-out templates of the pii task (for `semantic-router eval`).
import path from 'node:path';
import type { OnnxSessionPool } from '../../ml/onnx-session-pool.ts';
import type { LabelledRange } from '../../ml/tagger/spans.ts';
import { TokenTagger } from '../../ml/tagger/token-tagger.ts';
import { loadPiiDataset } from '../datasets/pii.ts';
import { type LatencySummary, summarizeLatency } from '../metrics.ts';
import { mergeAdjacent, spanScores, type TypeSpanScores } from './span-metrics.ts';
import { TAGGER_ENTITY_TYPES } from './train-tagger.ts';

export interface EntityModelEvaluation {
  readonly name: string;
  readonly dir: string;
  readonly task: 'pii';
  /** Texts of the held-out split, and how many were evaluated. */
  readonly testRows: number;
  readonly evaluated: number;
  readonly metrics: Record<string, TypeSpanScores>;
  /** Sequential batch-1 spans() after warm-up. */
  readonly latency: LatencySummary;
  readonly throughput: { readonly batchSize: number; readonly textsPerSecond: number };
}

const WARM_UP_CALLS = 20;
const BATCH = 32;

/** Evaluates `dir`/model.onnx on the test split (`trainedMaxRows` as in its card; `maxRows` evenly spaced texts). */
export async function evaluateEntityModel(
  pool: OnnxSessionPool,
  dir: string,
  dataDir: string,
  trainedMaxRows: number | undefined,
  maxRows: number | undefined,
): Promise<EntityModelEvaluation> {
  const all = loadPiiDataset(dataDir, trainedMaxRows).test;
  const n = maxRows === undefined ? all.length : Math.min(maxRows, all.length);
  const rows = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]).filter(
    (r) => r !== undefined,
  );
  const tagger = await TokenTagger.load(pool, path.resolve(dir, 'model.onnx'));
  try {
    const texts = rows.map((r) => r.text);
    for (const text of texts.slice(0, WARM_UP_CALLS)) await tagger.spans([text]);
    const times: number[] = [];
    const predicted: LabelledRange[][] = [];
    for (const text of texts) {
      const started = performance.now();
      const [spans = []] = await tagger.spans([text]);
      times.push(performance.now() - started);
      predicted.push(spans.map(({ label, start, end }) => ({ label, start, end })));
    }
    const started = performance.now();
    for (let i = 0; i < texts.length; i += BATCH) await tagger.spans(texts.slice(i, i + BATCH));
    const seconds = (performance.now() - started) / 1000;
    const learned = new Set<string>(TAGGER_ENTITY_TYPES);
    const metrics = spanScores(
      rows.map((r, i) => ({
        text: r.text,
        gold: mergeAdjacent(
          r.text,
          r.spans.filter((s) => learned.has(s.label)),
        ),
        predicted: predicted[i] ?? [],
      })),
      TAGGER_ENTITY_TYPES,
    );
    return {
      name: path.basename(path.resolve(dir)),
      dir,
      task: 'pii',
      testRows: all.length,
      evaluated: rows.length,
      metrics,
      latency: summarizeLatency(times),
      throughput: { batchSize: BATCH, textsPerSecond: Math.round(texts.length / Math.max(seconds, 1e-9)) },
    };
  } finally {
    tagger.close();
  }
}
