// How a model selection is shown outside the router (debug header, span attributes, explain): bounded in size, and
// made only of model names, figures and the algorithm's own reason, never request text.
import type { CandidateScore } from '../model-selector.ts';

/** Candidates shown at most (a decision rarely lists more; a header or span must stay small). */
export const MAX_SHOWN_CANDIDATES = 16;
const MAX_REASON_CHARS = 200;
const MAX_HEADER_CHARS = 1024;

export function boundedReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}

function describeScore(score: CandidateScore): string {
  if (score.excluded !== undefined) return `${score.model}=excluded(${score.excluded})`;
  const parts = Object.entries(score.parts ?? {})
    .map(([name, value]) => `${name}:${value}`)
    .join(' ');
  return `${score.model}=${score.score}${parts ? `(${parts})` : ''}`;
}

/** `x-router-selection`: `<algorithm>; <reason>; <model>=<score>(<parts>), …`, cut at 1 KiB. */
export function selectionHeaderValue(
  algorithm: string,
  reason: string | undefined,
  scores: readonly CandidateScore[] | undefined,
): string {
  const fields = [algorithm];
  const shownReason = boundedReason(reason);
  if (shownReason) fields.push(shownReason);
  if (scores && scores.length > 0)
    fields.push(scores.slice(0, MAX_SHOWN_CANDIDATES).map(describeScore).join(', '));
  // Header values must be one line of visible ASCII-safe text: drop control characters an algorithm might emit.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
  const value = fields.join('; ').replace(/[\u0000-\u001f\u007f]/g, ' ');
  return value.length > MAX_HEADER_CHARS ? `${value.slice(0, MAX_HEADER_CHARS - 1)}…` : value;
}
