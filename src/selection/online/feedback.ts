// Explicit feedback on an earlier answer: a client names the request (its x-request-id) and a score in [0, 1], by a
// request header or the admin endpoint. The router keeps a small record per routed request of a learning algorithm
// (decision, model, algorithm, memo; never text) in the shared store with a TTL, so any replica can take the
// feedback, and hands the score to the decision's algorithm. Each request can be rated once.

import type { SharedStore } from '../../state/shared-store.ts';
import type { ModelSelector } from '../model-selector.ts';

export interface RouteRecord {
  readonly algorithm: string;
  readonly decision: string;
  readonly model: string;
  readonly memo: unknown;
  readonly rated?: boolean;
}

export type FeedbackResult =
  | { readonly ok: true; readonly decision: string; readonly model: string }
  | {
      readonly ok: false;
      /** HTTP status for the admin endpoint. */
      readonly status: 400 | 404 | 409;
      readonly code:
        | 'invalid_score'
        | 'invalid_request_id'
        | 'unknown_request'
        | 'already_rated'
        | 'not_learning'
        | 'unknown_decision'
        | 'invalid_models';
      readonly message: string;
    };

/**
 * What a client sends: `request_id` + `score` (a rating of one answer), or the peer's preference between two of a
 * decision's models: `decision` + `winner_model` + `loser_model` (+ `tie`). Fields are unchecked input.
 */
export interface FeedbackInput {
  readonly request_id?: unknown;
  readonly score?: unknown;
  readonly decision?: unknown;
  readonly winner_model?: unknown;
  readonly loser_model?: unknown;
  readonly tie?: unknown;
}

const MAX_REQUEST_ID_LENGTH = 200;
const routeKey = (requestId: string) => `route:${requestId}`;

/** A score in [0, 1] from a number or a numeric string; undefined otherwise. */
export function parseScore(raw: unknown): number | undefined {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) return undefined;
  return value;
}

function validRequestId(raw: unknown): raw is string {
  return (
    typeof raw === 'string' &&
    raw.length > 0 &&
    raw.length <= MAX_REQUEST_ID_LENGTH &&
    /^[\x21-\x7e]+$/.test(raw)
  );
}

/** Keeps what feedback on `requestId` needs. Never throws (a store failure only loses the chance of feedback). */
export async function rememberRoute(
  store: SharedStore,
  requestId: string | undefined,
  record: RouteRecord,
  ttlMs: number,
): Promise<void> {
  if (!validRequestId(requestId)) return;
  try {
    await store.set(routeKey(requestId), JSON.stringify(record), ttlMs);
  } catch {
    // The store holder already falls back to memory; anything left is not worth failing an answer for.
  }
}

export interface FeedbackTarget {
  readonly store: SharedStore;
  /** The live policy's decision by name: its selector and the models it chooses among. */
  readonly decisionOf: (
    decision: string,
  ) => { readonly selector: ModelSelector; readonly models: readonly string[] } | undefined;
  readonly recordTtlMs: number;
}

/** Rates one answer (`request_id`) or applies a preference between two models (`winner_model`). */
export function handleFeedback(target: FeedbackTarget, input: FeedbackInput): Promise<FeedbackResult> {
  if (input.request_id === undefined && input.winner_model !== undefined)
    return applyComparison(target, input);
  return applyFeedback(target, input.request_id, input.score);
}

/** The peer's winner/loser feedback for a decision whose algorithm learns from preferences. */
export async function applyComparison(target: FeedbackTarget, input: FeedbackInput): Promise<FeedbackResult> {
  const decision = typeof input.decision === 'string' ? target.decisionOf(input.decision) : undefined;
  if (!decision)
    return {
      ok: false,
      status: 404,
      code: 'unknown_decision',
      message: 'decision names no decision of the live policy',
    };
  const name = input.decision as string;
  if (!decision.selector.compare)
    return {
      ok: false,
      status: 409,
      code: 'not_learning',
      message: `decision '${name}' uses '${decision.selector.algorithm}', which does not learn from preferences`,
    };
  const { winner_model: winner, loser_model: loser, tie } = input;
  const known = (model: unknown): model is string =>
    typeof model === 'string' && decision.models.includes(model);
  if (!known(winner) || !known(loser) || winner === loser || (tie !== undefined && typeof tie !== 'boolean'))
    return {
      ok: false,
      status: 400,
      code: 'invalid_models',
      message: `winner_model and loser_model must be two different models of '${name}' (${decision.models.join(', ')}); tie is true or false`,
    };
  await decision.selector.compare({ decision: name, winner, loser, tie: tie === true, store: target.store });
  return { ok: true, decision: name, model: winner };
}

/** Applies a client's score to the request it names; a bad id or score changes nothing and says why. */
export async function applyFeedback(
  target: FeedbackTarget,
  requestId: unknown,
  rawScore: unknown,
): Promise<FeedbackResult> {
  const score = parseScore(rawScore);
  if (score === undefined)
    return {
      ok: false,
      status: 400,
      code: 'invalid_score',
      message: 'score must be a number from 0 (bad) to 1 (good)',
    };
  if (!validRequestId(requestId))
    return {
      ok: false,
      status: 400,
      code: 'invalid_request_id',
      message: `request_id must be 1 to ${MAX_REQUEST_ID_LENGTH} printable characters without spaces`,
    };
  const text = await target.store.get(routeKey(requestId));
  let record: RouteRecord | undefined;
  try {
    record = text === undefined ? undefined : (JSON.parse(text) as RouteRecord);
  } catch {
    record = undefined;
  }
  if (!record)
    return {
      ok: false,
      status: 404,
      code: 'unknown_request',
      message:
        'no answered request with that id is known (not routed by a learning algorithm, not answered yet, or expired)',
    };
  if (record.rated)
    return { ok: false, status: 409, code: 'already_rated', message: 'that request has already been rated' };
  const selector = target.decisionOf(record.decision)?.selector;
  if (!selector?.feedback || selector.algorithm !== record.algorithm)
    return {
      ok: false,
      status: 409,
      code: 'not_learning',
      message: `decision '${record.decision}' no longer uses the learning algorithm '${record.algorithm}'`,
    };
  await target.store.set(routeKey(requestId), JSON.stringify({ ...record, rated: true }), target.recordTtlMs);
  await selector.feedback({
    decision: record.decision,
    model: record.model,
    memo: record.memo,
    score,
    store: target.store,
  });
  return { ok: true, decision: record.decision, model: record.model };
}
