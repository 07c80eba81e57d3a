// Boolean rule trees over signal matches, with vLLM Semantic Router's confidence semantics, and `on_error` for
// leaves whose signal failed.
import { SignalFailedError } from '../errors.ts';
import type { OnError } from '../policy/policy-schema.ts';
import type { SignalMatch } from '../signals/signal-family.ts';
import { type LeafPredicate, passesPredicate } from './leaf-predicate.ts';

export type RuleNode =
  | {
      readonly kind: 'signal';
      readonly conditionType: string;
      readonly name: string;
      readonly key: string;
      /** Overrides the signal rule's on_error for this leaf. */
      readonly onError?: OnError;
      /** Matches on the signal's score (0 when it did not fire) passing these bounds, not on the signal firing. */
      readonly predicate?: LeafPredicate;
    }
  | { readonly kind: 'and' | 'or'; readonly children: readonly RuleNode[] }
  | { readonly kind: 'not'; readonly child: RuleNode }
  /** A decision with empty rules: matches every request with confidence 0 (catch-all). */
  | { readonly kind: 'always' };

export interface RuleOutcome {
  readonly matched: boolean;
  readonly confidence: number;
}

/** Signal matches of one request keyed by `conditionType:name`. */
export type SignalMatches = ReadonlyMap<string, SignalMatch>;

/** What a request's signals say: matches, and the failed signals with their rule's on_error. */
export interface SignalState {
  readonly matches: SignalMatches;
  readonly failed?: ReadonlyMap<string, OnError>;
}

/** A leaf whose signal failed, and what was done about it. */
export interface OnErrorApplied {
  readonly key: string;
  readonly action: OnError;
}

export function signalKey(conditionType: string, name: string): string {
  return `${conditionType}:${name}`;
}

const NO_MATCH: RuleOutcome = { matched: false, confidence: 0 };
const FAILED_CLOSED: RuleOutcome = { matched: true, confidence: 1 };

/**
 * AND matches when every child matches, with the mean of the children's confidences; OR matches when any child
 * does, with the highest matching confidence; NOT matches (confidence 1) when its child does not. A leaf whose
 * signal failed follows its on_error: `match` matches with confidence 1, `skip` does not match, `fail` throws
 * SignalFailedError (the request is answered 503). Applied actions are appended to `applied` when given.
 */
export function evaluateRule(
  node: RuleNode,
  signals: SignalState | SignalMatches,
  applied?: OnErrorApplied[],
): RuleOutcome {
  const state: SignalState = signals instanceof Map ? { matches: signals } : (signals as SignalState);
  return evaluate(node, state, applied);
}

function evaluate(node: RuleNode, state: SignalState, applied: OnErrorApplied[] | undefined): RuleOutcome {
  switch (node.kind) {
    case 'always':
      return { matched: true, confidence: 0 };
    case 'signal': {
      const match = state.matches.get(node.key);
      if (match && !node.predicate) return { matched: true, confidence: match.confidence };
      if (match && node.predicate) return scoreOutcome(node.predicate, match.confidence);
      const ruleOnError = state.failed?.get(node.key);
      if (ruleOnError === undefined) return node.predicate ? scoreOutcome(node.predicate, 0) : NO_MATCH;
      const action = node.onError ?? ruleOnError;
      applied?.push({ key: node.key, action });
      if (action === 'fail') throw new SignalFailedError(node.key);
      return action === 'match' ? FAILED_CLOSED : NO_MATCH;
    }
    case 'and': {
      let sum = 0;
      for (const child of node.children) {
        const outcome = evaluate(child, state, applied);
        if (!outcome.matched) return NO_MATCH;
        sum += outcome.confidence;
      }
      return { matched: true, confidence: node.children.length === 0 ? 0 : sum / node.children.length };
    }
    case 'or': {
      let best = -1;
      for (const child of node.children) {
        const outcome = evaluate(child, state, applied);
        if (outcome.matched && outcome.confidence > best) best = outcome.confidence;
      }
      return best < 0 ? NO_MATCH : { matched: true, confidence: best };
    }
    case 'not':
      return evaluate(node.child, state, applied).matched ? NO_MATCH : { matched: true, confidence: 1 };
  }
}

function scoreOutcome(predicate: LeafPredicate, score: number): RuleOutcome {
  return passesPredicate(predicate, score) ? { matched: true, confidence: score } : NO_MATCH;
}

/** Every `conditionType:name` leaf the tree refers to. */
export function collectSignalLeaves(node: RuleNode, into: Extract<RuleNode, { kind: 'signal' }>[] = []) {
  if (node.kind === 'signal') into.push(node);
  else if (node.kind === 'and' || node.kind === 'or')
    for (const child of node.children) collectSignalLeaves(child, into);
  else if (node.kind === 'not') collectSignalLeaves(node.child, into);
  return into;
}
