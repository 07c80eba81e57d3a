// Projections, with vLLM Semantic Router's semantics: partitions reduce competing domain/embedding matches to one
// winner, scores are weighted sums over signal values, and mappings turn a score into named `projection` matches
// that decisions reference with `{type: projection, name}`.
import type { SignalMatch } from '../signals/signal-family.ts';
import { signalKey } from './rule-tree.ts';

export const PROJECTION_CONDITION_TYPE = 'projection';

/** One partition acting on the members it has in one family (the peer reduces domains and embeddings apart). */
export interface CompiledPartitionGroup {
  readonly partition: string;
  readonly conditionType: string;
  readonly softmax: boolean;
  readonly temperature: number;
  /** At least two member names, in the partition's order. */
  readonly members: readonly string[];
  /** `conditionType:member` of each member, computed once at load. */
  readonly memberKeys: readonly string[];
  /** Member that matches (confidence 1) when none did. */
  readonly default?: string;
}

export type CompiledScoreInput =
  | {
      readonly kind: 'signal';
      readonly key: string;
      readonly weight: number;
      readonly valueSource: 'binary' | 'confidence' | 'raw';
      readonly match: number;
      readonly miss: number;
    }
  /** A knowledge-base metric; 0 unless the kb family reports it (a match `kb_metric:<kb>:<metric>` with a value). */
  | { readonly kind: 'kb_metric'; readonly key: string; readonly weight: number }
  /** Another score's value. */
  | { readonly kind: 'score'; readonly name: string; readonly weight: number };

export interface CompiledScore {
  readonly name: string;
  readonly inputs: readonly CompiledScoreInput[];
}

export interface CompiledBand {
  readonly name: string;
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}

export interface CompiledMapping {
  readonly name: string;
  readonly source: string;
  readonly method: 'threshold_bands' | 'multi_emit' | 'top_k';
  readonly topK?: number;
  /** Slope of the sigmoid over the distance to the nearest band edge (the peer's default is 12). */
  readonly slope: number;
  readonly outputs: readonly CompiledBand[];
}

export interface CompiledProjections {
  readonly partitions: readonly CompiledPartitionGroup[];
  /** In evaluation order: a score comes after the scores it reads. */
  readonly scores: readonly CompiledScore[];
  readonly mappings: readonly CompiledMapping[];
}

export const DEFAULT_CALIBRATION_SLOPE = 12;

export function hasProjections(projections: CompiledProjections): boolean {
  return projections.partitions.length > 0 || projections.mappings.length > 0;
}

export interface ProjectionResult {
  /** The request's matches after partitions, plus one `projection:<output>` match per emitted band. */
  readonly matches: ReadonlyMap<string, SignalMatch>;
  /** Every score's value, by name. */
  readonly scores: ReadonlyMap<string, number>;
}

/** Applies partitions, then scores and mappings, to one request's signal matches. Pure. */
export function applyProjections(
  projections: CompiledProjections,
  matches: ReadonlyMap<string, SignalMatch>,
): ProjectionResult {
  const result = new Map(matches);
  for (const group of projections.partitions) applyPartition(group, result);
  const scores = new Map<string, number>();
  // The peer computes nothing unless there are both scores and mappings.
  if (projections.scores.length === 0 || projections.mappings.length === 0)
    return { matches: result, scores };
  for (const score of projections.scores) scores.set(score.name, scoreValue(score, result, scores));
  for (const mapping of projections.mappings) {
    const value = scores.get(mapping.source);
    if (value === undefined) continue;
    for (const band of emittedBands(mapping, value)) {
      result.set(signalKey(PROJECTION_CONDITION_TYPE, band.name), {
        name: band.name,
        confidence: bandConfidence(mapping, band, value),
        detail: `${mapping.source}=${value.toFixed(3)}`,
      });
    }
  }
  return { matches: result, scores };
}

function applyPartition(group: CompiledPartitionGroup, matches: Map<string, SignalMatch>): void {
  const contenders: SignalMatch[] = [];
  for (const key of group.memberKeys) {
    const match = matches.get(key);
    if (match) contenders.push(match);
  }
  if (contenders.length === 0) {
    if (group.default === undefined) return;
    matches.set(signalKey(group.conditionType, group.default), {
      name: group.default,
      confidence: 1,
      detail: `partition ${group.partition} default`,
    });
    return;
  }
  if (contenders.length === 1) return;
  // Highest confidence wins; on a tie the member listed first.
  let winner = 0;
  contenders.forEach((match, index) => {
    if (match.confidence > (contenders[winner] as SignalMatch).confidence) winner = index;
  });
  const won = contenders[winner] as SignalMatch;
  const confidence = group.softmax
    ? (softmax(
        contenders.map((m) => m.confidence),
        group.temperature,
      )[winner] as number)
    : won.confidence;
  for (const match of contenders) matches.delete(signalKey(group.conditionType, match.name));
  matches.set(signalKey(group.conditionType, won.name), {
    ...won,
    confidence,
    detail: `${won.detail ? `${won.detail}; ` : ''}partition ${group.partition} winner of ${contenders.length}`,
  });
}

export function softmax(values: readonly number[], temperature: number): number[] {
  const t = temperature > 0 ? temperature : 1;
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp((v - max) / t));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function scoreValue(
  score: CompiledScore,
  matches: ReadonlyMap<string, SignalMatch>,
  scores: ReadonlyMap<string, number>,
): number {
  let total = 0;
  for (const input of score.inputs) total += input.weight * inputValue(input, matches, scores);
  return total;
}

function inputValue(
  input: CompiledScoreInput,
  matches: ReadonlyMap<string, SignalMatch>,
  scores: ReadonlyMap<string, number>,
): number {
  switch (input.kind) {
    case 'score':
      return scores.get(input.name) ?? 0;
    case 'kb_metric':
      return matches.get(input.key)?.value ?? 0;
    case 'signal': {
      const match = matches.get(input.key);
      if (input.valueSource === 'raw') return match?.value ?? 0;
      if (input.valueSource === 'confidence')
        return match ? (match.confidence > 0 ? match.confidence : 1) : 0;
      return match ? input.match : input.miss;
    }
  }
}

function inBand(band: CompiledBand, value: number): boolean {
  if (band.gt !== undefined && !(value > band.gt)) return false;
  if (band.gte !== undefined && !(value >= band.gte)) return false;
  if (band.lt !== undefined && !(value < band.lt)) return false;
  if (band.lte !== undefined && !(value <= band.lte)) return false;
  return true;
}

function emittedBands(mapping: CompiledMapping, value: number): readonly CompiledBand[] {
  const hits = mapping.outputs.filter((band) => inBand(band, value));
  switch (mapping.method) {
    case 'threshold_bands':
      return hits.slice(0, 1);
    case 'multi_emit':
      return hits;
    case 'top_k': {
      const ranked = hits
        .map((band, index) => ({ band, index, distance: Math.abs(value - bandCentre(band)) }))
        .sort((a, b) => a.distance - b.distance || a.index - b.index);
      return ranked.slice(0, mapping.topK ?? ranked.length).map((r) => r.band);
    }
  }
}

function bandCentre(band: CompiledBand): number {
  const lower = Math.max(band.gt ?? -Infinity, band.gte ?? -Infinity);
  const upper = Math.min(band.lt ?? Infinity, band.lte ?? Infinity);
  if (Number.isFinite(lower) && Number.isFinite(upper)) return (lower + upper) / 2;
  if (Number.isFinite(lower)) return lower;
  if (Number.isFinite(upper)) return upper;
  return 0;
}

/** sigmoid(slope × distance to the band's nearest edge): 0.5 on an edge, towards 1 deep inside the band. */
export function bandConfidence(mapping: CompiledMapping, band: CompiledBand, value: number): number {
  const edges = [band.gt, band.gte, band.lt, band.lte].filter((e): e is number => e !== undefined);
  const distance = edges.length === 0 ? 1 : Math.min(...edges.map((edge) => Math.abs(value - edge)));
  return 1 / (1 + Math.exp(-mapping.slope * distance));
}
