// The contract every signal family implements, heuristic or ML: parse its rules at policy load, then evaluate.
import type { z } from 'zod';
import type { OnnxSessionPool } from '../ml/onnx-session-pool.ts';
import type { OnError } from '../policy/policy-schema.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { ExternalModel } from './external-models.ts';
import type { KnowledgeBaseDocument } from './kb/knowledge-base-schema.ts';
import type { SignalRun } from './text-scan.ts';

/** One rule of a family that matched a request. Heuristic families report confidence 1. */
export interface SignalMatch {
  readonly name: string;
  /** In [0, 1]. */
  readonly confidence: number;
  /** Short, prompt-free explanation for `explain` and traces, e.g. `tokens=41234`. */
  readonly detail?: string;
  /** Raw measurement behind the match (token count, turn count, …), read by projection inputs `value_source: raw`. */
  readonly value?: number;
}

export interface SignalEvaluator {
  /**
   * Evaluates every rule of the family against one request and returns the rules that matched. Families that read
   * whole texts honour `run` (cancellation, scan limit: throw TextTooLongError rather than read part of a text);
   * without one (tests, tools) they read everything.
   */
  evaluate(
    context: RequestContext,
    run?: SignalRun,
  ): readonly SignalMatch[] | Promise<readonly SignalMatch[]>;
  /** Releases resources (models, workers) when the policy generation holding it is dropped. */
  close?(): void;
  /**
   * Time the family needs per request when the policy sets no budget for it (e.g. an external model's timeout);
   * a policy's `limits.signal_budget_ms.<family>` still wins.
   */
  readonly budgetMs?: number;
  /** Rule settings that load but may not do what the author meant; reported as policy warnings. */
  readonly warnings?: readonly RuleProblem[];
}

/** A problem found while building a family's evaluator, located relative to the family's list of rules. */
export interface RuleProblem {
  /** Index of the offending rule in the family's list. */
  readonly ruleIndex: number;
  /** Path inside that rule, e.g. `keywords[3]`. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
  /**
   * Set on a warning that means a safety or privacy rule can never match (a guardrail that would do nothing): a
   * policy error unless the policy is loaded with `allowUnsupported`.
   */
  readonly unsupportedGuardrail?: boolean;
  /**
   * Set on a warning that a rule can never match: the reference name whose use by a guarding decision (a guardrail
   * or one that blocks) makes the warning an unsupported guardrail.
   */
  readonly neverMatches?: string;
}

export class RuleConfigError extends Error {
  readonly problems: readonly RuleProblem[];
  constructor(problems: readonly RuleProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.problems = problems;
  }
}

/** Settings from outside the policy that some families need (e.g. which headers carry identity). */
export interface SignalDeps {
  /** Base directory of the policy file, for families that load files relative to it. */
  readonly policyDir: string;
  /** Shared ONNX sessions for ML families, so policy generations share them; a process-wide pool when absent. */
  readonly sessionPool?: OnnxSessionPool;
  /** Directory of the built-in models (`<dir>/<name>/model.onnx`); the installation's `models/` when absent. */
  readonly builtinModelsDir?: string;
  /**
   * Built-in model (a directory name under the built-in models) that similarity rules naming no model use:
   * `lexical` for vLLM Semantic Router files, whose thresholds are written for a sentence encoder's scale.
   */
  readonly similarityModel?: string;
  /** The policy's `knowledge_bases` (the `kb` family falls back to built-in ones for names not defined here). */
  readonly knowledgeBases?: readonly KnowledgeBaseDocument[];
  /** External chat models that label requests (`classifiers` rules of `type: llm`), by name. */
  readonly externalModels?: ReadonlyMap<string, ExternalModel>;
}

export interface SignalRule {
  readonly name: string;
}

/**
 * A signal family: the YAML key it lives under in `routing.signals`, the condition `type` decisions use to
 * reference its rules, a schema that parses one rule, and a factory for its evaluator.
 */
export interface SignalFamily<Rule extends SignalRule = SignalRule> {
  /** Key under `routing.signals`, e.g. `keywords`. */
  readonly family: string;
  /** Value of `type` in a decision condition that refers to this family, e.g. `keyword`. */
  readonly conditionType: string;
  readonly ruleSchema: z.ZodType<Rule>;
  /** Names decisions may reference for one rule; defaults to the rule's name (role_bindings emits its role). */
  referenceNamesOf?(rule: Rule): readonly string[];
  /**
   * `on_error` of a rule that sets none: safety and privacy families fail closed (`match`), the others `skip`.
   */
  readonly defaultOnError?: OnError;
  /**
   * Names read by a guarding decision (`enforce: always`, or a `block` / `fast_response` plugin) default to
   * `on_error: match` when their rule sets none: a classifier feeding a safety decision fails closed.
   */
  readonly failClosedWhenGuarding?: boolean;
  /** `on_error` of one reference name of a rule that sets none, when it differs from `defaultOnError`. */
  defaultOnErrorFor?(rule: Rule, referenceName: string): OnError | undefined;
  /** Builds the evaluator; throws RuleConfigError for semantic problems (bad regex, …). */
  create(rules: readonly Rule[], deps: SignalDeps): SignalEvaluator | Promise<SignalEvaluator>;
}

export function defineSignalFamily<Rule extends SignalRule>(family: SignalFamily<Rule>): SignalFamily<Rule> {
  return family;
}

/** The names decisions may reference for the family's rules, deduplicated, in rule order. */
export function referenceNames<Rule extends SignalRule>(
  family: SignalFamily<Rule>,
  rules: readonly Rule[],
): string[] {
  return [...new Set(rules.flatMap((rule) => family.referenceNamesOf?.(rule) ?? [rule.name]))];
}

/** Rule problems of a sub-list of the family's rules, at the rules' places in the whole list. */
export async function atRuleIndices<T>(work: Promise<T>, indices: readonly number[]): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof RuleConfigError)) throw error;
    throw new RuleConfigError(
      error.problems.map((p) => ({ ...p, ruleIndex: indices[p.ruleIndex] ?? p.ruleIndex })),
    );
  }
}
