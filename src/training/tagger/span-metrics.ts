// Span-level precision / recall / F1 per entity type: exact boundaries and any overlap, one-to-one matching.
import type { LabelledRange } from '../../ml/tagger/spans.ts';

export interface SpanScores {
  readonly gold: number;
  readonly predicted: number;
  readonly truePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface TypeSpanScores {
  /** Same type and the same boundaries (after trimming spaces and sentence punctuation). */
  readonly exact: SpanScores;
  /** Same type and overlapping characters. */
  readonly overlap: SpanScores;
}

export interface ScoredText {
  readonly text: string;
  readonly gold: readonly LabelledRange[];
  readonly predicted: readonly LabelledRange[];
}

/**
 * Joins gold spans of one type that overlap or are separated only by spaces and commas: Presidio annotates some
 * addresses piecewise (`28245`, `Puruntie 82`, `Apt. 595`), while a tagger reports the whole address.
 */
export function mergeAdjacent(text: string, ranges: readonly LabelledRange[]): LabelledRange[] {
  const sorted = [...ranges].sort((a, b) => a.label.localeCompare(b.label) || a.start - b.start);
  const out: LabelledRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      last.label === r.label &&
      (r.start <= last.end || /^[\s,]*$/.test(text.slice(last.end, r.start)))
    ) {
      out[out.length - 1] = { label: r.label, start: last.start, end: Math.max(last.end, r.end) };
    } else out.push(r);
  }
  return out.sort((a, b) => a.start - b.start);
}

const EDGE = /[\s.,;:!?"'“”()]/u;

function trim(text: string, r: LabelledRange): string {
  let { start, end } = r;
  while (start < end && EDGE.test(text[start] ?? '')) start++;
  while (end > start && EDGE.test(text[end - 1] ?? '')) end--;
  return `${r.label}:${start}:${end}`;
}

function scores(gold: number, predicted: number, tp: number): SpanScores {
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = gold === 0 ? 0 : tp / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { gold, predicted, truePositives: tp, precision, recall, f1 };
}

/** Scores per type over every text; spans of other types are ignored. */
export function spanScores(
  texts: readonly ScoredText[],
  types: readonly string[],
): Record<string, TypeSpanScores> {
  const out: Record<string, TypeSpanScores> = {};
  for (const type of types) {
    let gold = 0;
    let predicted = 0;
    let exact = 0;
    let overlap = 0;
    for (const t of texts) {
      const g = t.gold.filter((r) => r.label === type);
      const p = t.predicted.filter((r) => r.label === type);
      gold += g.length;
      predicted += p.length;
      const goldKeys = new Set(g.map((r) => trim(t.text, r)));
      exact += p.filter((r) => goldKeys.delete(trim(t.text, r))).length;
      const used = new Set<number>();
      for (const r of p) {
        const k = g.findIndex((x, i) => !used.has(i) && x.start < r.end && r.start < x.end);
        if (k >= 0) {
          used.add(k);
          overlap++;
        }
      }
    }
    out[type] = { exact: scores(gold, predicted, exact), overlap: scores(gold, predicted, overlap) };
  }
  return out;
}
