// `eval-routing`: replays the held-out split through a learned selector for a strong/weak pair and compares it
// with random, always-weak (cheapest), always-strong (best) and the oracle.
import type { LearnedSelectionModel } from '../../selection/learned/learned-model.ts';
import type { OutcomeDataset } from './outcome-datasets.ts';
import { oracleApgr, type PairOutcome, type RouterFigures, routerFigures } from './routing-metrics.ts';

export interface PairEvaluation {
  readonly dataset: string;
  readonly algorithm: string;
  readonly strong: string;
  readonly weak: string;
  readonly costUnit: string;
  readonly prompts: number;
  readonly router: RouterFigures;
  /** The served rule (threshold 0: the model with the higher predicted success): quality, cost, strong share. */
  readonly atDefault: { readonly quality: number; readonly cost: number; readonly strongShare: number };
  readonly baselines: readonly BaselineRow[];
}

export interface BaselineRow {
  readonly name: 'random' | 'always-weak' | 'always-strong' | 'oracle';
  /** Quality and cost at a 50 % strong share for random, at the router's own operating point otherwise. */
  readonly quality: number;
  readonly cost: number;
  readonly strongShare: number;
  readonly apgr: number | undefined;
  readonly pgrAtHalf: number | undefined;
}

export class EvalRoutingError extends Error {}

/** The held-out (test-split) rows where both models have an outcome and a cost. */
export function heldOutPair(
  dataset: OutcomeDataset,
  strong: string,
  weak: string,
  score: (text: string) => number,
): PairOutcome[] {
  const s = dataset.profiles.indexOf(strong);
  const w = dataset.profiles.indexOf(weak);
  for (const [name, index] of [
    [strong, s],
    [weak, w],
  ] as const) {
    if (index < 0)
      throw new EvalRoutingError(
        `'${name}' is not a model of ${dataset.name}; it has: ${dataset.profiles.join(', ')}`,
      );
  }
  const out: PairOutcome[] = [];
  for (const r of dataset.rows) {
    if (r.split !== 'test') continue;
    const values = [r.correct[s], r.correct[w], r.cost[s], r.cost[w]] as number[];
    if (values.some((v) => Number.isNaN(v))) continue;
    out.push({
      strong: values[0] as number,
      weak: values[1] as number,
      strongCost: values[2] as number,
      weakCost: values[3] as number,
      score: score(r.text),
    });
  }
  if (out.length === 0)
    throw new EvalRoutingError(`no held-out prompt has outcomes of both ${strong} and ${weak}`);
  return out;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

export function evaluatePair(
  rows: readonly PairOutcome[],
  info: Pick<PairEvaluation, 'dataset' | 'algorithm' | 'strong' | 'weak' | 'costUnit'>,
): PairEvaluation {
  const router = routerFigures(rows);
  const qWeak = mean(rows.map((r) => r.weak));
  const qStrong = mean(rows.map((r) => r.strong));
  const cWeak = mean(rows.map((r) => r.weakCost));
  const cStrong = mean(rows.map((r) => r.strongCost));
  const a = mean(rows.map((r) => (r.strong > r.weak ? r.strong - r.weak : 0)));
  const b = mean(rows.map((r) => (r.weak > r.strong ? r.weak - r.strong : 0)));
  const strongCalls = rows.filter((r) => r.score > 0);
  const atDefault = {
    quality: mean(rows.map((r) => (r.score > 0 ? r.strong : r.weak))),
    cost: mean(rows.map((r) => (r.score > 0 ? r.strongCost : r.weakCost))),
    strongShare: strongCalls.length / rows.length,
  };
  // The oracle's own operating point: the weak model unless only the strong one is right.
  const oracleStrong = rows.map((r) => r.strong > r.weak);
  const baselines: BaselineRow[] = [
    {
      name: 'random',
      quality: (qWeak + qStrong) / 2,
      cost: (cWeak + cStrong) / 2,
      strongShare: 0.5,
      apgr: 0.5,
      pgrAtHalf: 0.5,
    },
    {
      name: 'always-weak',
      quality: qWeak,
      cost: cWeak,
      strongShare: 0,
      apgr: undefined,
      pgrAtHalf: undefined,
    },
    {
      name: 'always-strong',
      quality: qStrong,
      cost: cStrong,
      strongShare: 1,
      apgr: undefined,
      pgrAtHalf: undefined,
    },
    {
      name: 'oracle',
      quality: mean(rows.map((r, i) => (oracleStrong[i] ? r.strong : r.weak))),
      cost: mean(rows.map((r, i) => (oracleStrong[i] ? r.strongCost : r.weakCost))),
      strongShare: oracleStrong.filter(Boolean).length / rows.length,
      apgr: a === b ? undefined : oracleApgr(a, b),
      pgrAtHalf: routerFigures(rows.map((r) => ({ ...r, score: r.strong - r.weak }))).pgrAtHalf,
    },
  ];
  return { ...info, prompts: rows.length, router, atDefault, baselines };
}

/** Routing score of a learned model for a pair: predicted success of the strong minus the weak model. */
export function pairScore(
  model: LearnedSelectionModel,
  strong: string,
  weak: string,
): (text: string) => number {
  const s = model.profiles.findIndex((p) => p.name === strong);
  const w = model.profiles.findIndex((p) => p.name === weak);
  if (s < 0 || w < 0) {
    throw new EvalRoutingError(`${model.file} was not trained on ${s < 0 ? strong : weak}`);
  }
  return (text) => {
    const p = model.predict(text);
    return (p[s] as number) - (p[w] as number);
  };
}
