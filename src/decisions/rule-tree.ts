// Boolean rule trees over signal matches, with vLLM Semantic Router's confidence semantics.
import type { SignalMatch } from '../signals/signal-family.ts';

export type RuleNode =
  | { readonly kind: 'signal'; readonly conditionType: string; readonly name: string; readonly key: string }
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

export function signalKey(conditionType: string, name: string): string {
  return `${conditionType}:${name}`;
}

const NO_MATCH: RuleOutcome = { matched: false, confidence: 0 };

/**
 * AND matches when every child matches, with the mean of the children's confidences; OR matches when any child
 * does, with the highest matching confidence; NOT matches (confidence 1) when its child does not.
 */
export function evaluateRule(node: RuleNode, matches: SignalMatches): RuleOutcome {
  switch (node.kind) {
    case 'always':
      return { matched: true, confidence: 0 };
    case 'signal': {
      const match = matches.get(node.key);
      return match ? { matched: true, confidence: match.confidence } : NO_MATCH;
    }
    case 'and': {
      let sum = 0;
      for (const child of node.children) {
        const outcome = evaluateRule(child, matches);
        if (!outcome.matched) return NO_MATCH;
        sum += outcome.confidence;
      }
      return { matched: true, confidence: node.children.length === 0 ? 0 : sum / node.children.length };
    }
    case 'or': {
      let best = -1;
      for (const child of node.children) {
        const outcome = evaluateRule(child, matches);
        if (outcome.matched && outcome.confidence > best) best = outcome.confidence;
      }
      return best < 0 ? NO_MATCH : { matched: true, confidence: best };
    }
    case 'not':
      return evaluateRule(node.child, matches).matched ? NO_MATCH : { matched: true, confidence: 1 };
  }
}

/** Every `conditionType:name` leaf the tree refers to. */
export function collectSignalLeaves(node: RuleNode, into: Extract<RuleNode, { kind: 'signal' }>[] = []) {
  if (node.kind === 'signal') into.push(node);
  else if (node.kind === 'and' || node.kind === 'or')
    for (const child of node.children) collectSignalLeaves(child, into);
  else if (node.kind === 'not') collectSignalLeaves(node.child, into);
  return into;
}
