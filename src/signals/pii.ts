// `pii` family (condition type `pii`): structured PII found by validators, names and addresses by an entity model.
import { z } from 'zod';
import type { SpanModelLoader } from '../ml/pii/span-model-loader.ts';
import type { EntitySpan, SpanModel } from '../ml/span-model.ts';
import { detectPii, PII_MAX_SPAN_CHARS, resolveOverlaps } from '../pii/detect.ts';
import { weighEntityEvidence } from '../pii/entity-evidence.ts';
import { piiTypeOfLabel } from '../pii/entity-labels.ts';
import {
  LEARNED_PII_TYPES,
  OPT_IN_PII_TYPES,
  type PiiSpan,
  type PiiType,
  SUPPORTED_PII_TYPES,
  UNDETECTED_PII_TYPES,
} from '../pii/types.ts';
import type { RequestContext } from '../request/request-context.ts';
import { guardRolesSchema, scopeKey, scopeTexts } from './guard-scope.ts';
import { runWindows } from './model-windows.ts';
import {
  defineSignalFamily,
  RuleConfigError,
  type RuleProblem,
  type SignalEvaluator,
  type SignalFamily,
  type SignalMatch,
} from './signal-family.ts';
import { forEachChunk, type SignalRun, thenOrNow, UNBOUNDED_RUN } from './text-scan.ts';

/** Name of the built-in entity model (`models/pii`). */
export const BUILTIN_PII_MODEL = 'pii';

const piiTypeList = z.array(
  z
    .string()
    .min(1)
    .transform((t) => t.trim().toUpperCase()),
);

const piiRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Minimum entity confidence that counts (vLLM Semantic Router default 0.5). */
  threshold: z.number().min(0).max(1).default(0.5),
  /**
   * Extension: minimum confidence of the entity model's PERSON and STREET_ADDRESS spans (default: threshold). Names
   * and addresses without contextual evidence score at most 0.4 (src/pii/entity-evidence.ts), so 0.3 reports them too.
   */
  entity_threshold: z.number().min(0).max(1).optional(),
  /** Types that are allowed in requests: finding them does not match the rule. */
  pii_types_allowed: piiTypeList.default([]),
  /** Extension: only these types match the rule (default: every detected type not allowed). */
  pii_types: piiTypeList.min(1, 'list at least one type, or omit pii_types').optional(),
  /**
   * Scan every piece of text the request sends upstream (system prompt, every turn of every role, tool calls and
   * results, tool definitions) rather than only the last user message. Always whole, never a capped view.
   */
  include_history: z.boolean().default(false),
  /** Extension, with include_history: only these parts (system, user, assistant, tool, tools). */
  roles: guardRolesSchema,
  /**
   * Entity model for PERSON and STREET_ADDRESS: a model directory (or .onnx file) relative to the policy file;
   * the built-in `models/pii` when absent. Loaded only when the rule asks for those types (see needsEntityModel).
   */
  model: z.string().min(1, 'model must name a model directory or file').optional(),
});

export type PiiRule = z.infer<typeof piiRuleSchema>;

const SUPPORTED = new Set<string>(SUPPORTED_PII_TYPES);
const UNDETECTED = new Set<string>(UNDETECTED_PII_TYPES);
const LEARNED = new Set<string>(LEARNED_PII_TYPES);
const OPT_IN = new Set<string>(OPT_IN_PII_TYPES);

function isOptIn(type: string): type is PiiType {
  return OPT_IN.has(type);
}

/** `EMAIL_ADDRESS×2,CREDIT_CARD×1`: types and counts in order of first appearance, never values. */
export function describeTypes(spans: readonly PiiSpan[]): string {
  const counts = new Map<string, number>();
  for (const span of spans) counts.set(span.type, (counts.get(span.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type}×${n}`).join(',');
}

/**
 * Whether the rule runs an entity model: when it lists PERSON or STREET_ADDRESS in `pii_types`, or names a
 * `model:` and does not allow every learned type. The built-in tagger is English-only and far less precise than
 * the validators (span F1 ~0.7 on held-out templates), so a rule that only sets `pii_types_allowed` keeps to the
 * validated structured types instead of sending names-like words in other languages to the private pool.
 */
export function needsEntityModel(rule: PiiRule): boolean {
  const reportable = (t: string) => !rule.pii_types_allowed.includes(t);
  if (rule.pii_types !== undefined)
    return LEARNED_PII_TYPES.some((t) => rule.pii_types?.includes(t) && reportable(t));
  return rule.model !== undefined && LEARNED_PII_TYPES.some(reportable);
}

function typeProblems(rules: readonly PiiRule[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  rules.forEach((rule, ruleIndex) => {
    rule.pii_types?.forEach((type, i) => {
      if (!SUPPORTED.has(type) && !UNDETECTED.has(type))
        problems.push({
          ruleIndex,
          path: `pii_types[${i}]`,
          message: `PII type ${type} is not detected by this router`,
          hint: `use one of ${SUPPORTED_PII_TYPES.join(', ')} (accepted but never detected: ${UNDETECTED_PII_TYPES.join(', ')})`,
        });
    });
  });
  return problems;
}

/** One warning per rule that lists peer type names this router accepts but never detects. */
function undetectedTypeWarnings(rules: readonly PiiRule[]): RuleProblem[] {
  const warnings: RuleProblem[] = [];
  rules.forEach((rule, ruleIndex) => {
    const names = (rule.pii_types ?? []).filter((t) => UNDETECTED.has(t));
    if (names.length === 0) return;
    const none = names.length === rule.pii_types?.length;
    warnings.push({
      ruleIndex,
      path: 'pii_types',
      message: `PII type${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} accepted but never detected by this router${none ? ': this rule never matches' : ''}`,
      hint: `detected types: ${SUPPORTED_PII_TYPES.join(', ')}`,
      ...(none && { unsupportedGuardrail: true }),
    });
  });
  return warnings;
}

interface CompiledRule {
  readonly rule: PiiRule;
  readonly allowed: ReadonlySet<string>;
  readonly only: ReadonlySet<string> | undefined;
  /** The rule's entity model, when it needs one. */
  readonly model: SpanModel | undefined;
}

function compile(rule: PiiRule, model: SpanModel | undefined): CompiledRule {
  return {
    rule,
    allowed: new Set(rule.pii_types_allowed),
    only: rule.pii_types === undefined ? undefined : new Set(rule.pii_types),
    model,
  };
}

/** The rule's match over its spans, if any span counts. */
function matchOf(c: CompiledRule, spans: readonly PiiSpan[]): SignalMatch | undefined {
  const counted = spans.filter(
    (s) =>
      s.confidence >=
        (LEARNED.has(s.type) ? (c.rule.entity_threshold ?? c.rule.threshold) : c.rule.threshold) &&
      !c.allowed.has(s.type) &&
      (c.only === undefined ? !isOptIn(s.type) : c.only.has(s.type)),
  );
  if (counted.length === 0) return undefined;
  const confidence = Math.max(...counted.map((s) => s.confidence));
  return { name: c.rule.name, confidence, detail: describeTypes(counted) };
}

/** Validator spans of each text, read whole in overlapping chunks (synchronous when the texts are short). */
function structuredSpans(
  texts: readonly string[],
  run: SignalRun,
  optIn: ReadonlySet<PiiType>,
): PiiSpan[][] | Promise<PiiSpan[][]> {
  const perText: PiiSpan[][] = texts.map(() => []);
  // A span depends on at most half the bound before its start and half from its start on (src/pii/detect.ts).
  const reach = Math.ceil(PII_MAX_SPAN_CHARS / 2);
  const pending = forEachChunk(
    texts,
    run,
    reach,
    (text, chunk, index) => {
      const spans = perText[index] as PiiSpan[];
      for (const span of detectPii(text.slice(chunk.from, chunk.to), { optIn })) {
        const start = span.start + chunk.from;
        // A span belongs to the chunk it starts in; the overlap only completes it.
        if (start < chunk.ownedFrom || start >= chunk.ownedTo) continue;
        spans.push({ ...span, start, end: span.end + chunk.from });
      }
    },
    reach,
  );
  return thenOrNow(pending, () => perText);
}

/** Heuristic-only rules: one validator pass over each scope's texts, no model. */
function structuredEvaluator(
  compiled: readonly CompiledRule[],
  optIn: ReadonlySet<PiiType>,
): SignalEvaluator {
  return {
    evaluate(context: RequestContext, run = UNBOUNDED_RUN) {
      const scopes = new Map<string, PiiSpan[][] | Promise<PiiSpan[][]>>();
      for (const c of compiled) {
        const key = scopeKey(c.rule);
        if (!scopes.has(key)) scopes.set(key, structuredSpans(scopeTexts(context, c.rule), run, optIn));
      }
      const finish = (byScope: ReadonlyMap<string, PiiSpan[][]>) => {
        const matches: SignalMatch[] = [];
        for (const c of compiled) {
          const match = matchOf(c, (byScope.get(scopeKey(c.rule)) ?? []).flat());
          if (match) matches.push(match);
        }
        return matches;
      };
      const values = [...scopes.values()];
      if (!values.some((v) => v instanceof Promise)) return finish(scopes as Map<string, PiiSpan[][]>);
      const keys = [...scopes.keys()];
      return Promise.all(values).then((resolved) =>
        finish(new Map(keys.map((k, i) => [k, resolved[i] ?? []]))),
      );
    },
  };
}

/** A model's spans as PII spans; labels the router has no type for are dropped. */
function entitySpans(text: string, spans: readonly EntitySpan[]): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const s of spans) {
    const type = piiTypeOfLabel(s.label);
    if (type === undefined || s.end <= s.start || s.end > text.length) continue;
    out.push({ type, start: s.start, end: s.end, confidence: Math.min(1, Math.max(0, s.score)) });
  }
  return out;
}

/** A model's spans over whole texts: each text tagged window by window, spans placed back in their text. */
async function modelSpans(model: SpanModel, texts: readonly string[], run: SignalRun): Promise<PiiSpan[][]> {
  const perText: PiiSpan[][] = texts.map(() => []);
  const { windows, results } = await runWindows(texts, model.windowChars, run, (batch) => model.spans(batch));
  windows.forEach((window, i) => {
    const spans = perText[window.textIndex] as PiiSpan[];
    for (const span of entitySpans(window.text, results[i] ?? [])) {
      const start = span.start + window.offset;
      if (start >= window.ownedTo) continue;
      spans.push({ ...span, start, end: span.end + window.offset });
    }
  });
  return perText;
}

/**
 * Spans of one request for rules with a model, per scope (see guard-scope.ts): validators run once per scope,
 * each model once per scope; their spans are merged per text by overlap resolution.
 */
class RequestSpans {
  readonly #context: RequestContext;
  readonly #run: SignalRun;
  readonly #structured = new Map<string, Promise<PiiSpan[][]>>();
  readonly #merged = new Map<string, Promise<PiiSpan[]>>();
  readonly #models = new Map<SpanModel, number>();

  readonly #optIn: ReadonlySet<PiiType>;

  constructor(context: RequestContext, run: SignalRun, optIn: ReadonlySet<PiiType>) {
    this.#context = context;
    this.#run = run;
    this.#optIn = optIn;
  }

  /** Validator spans of the scope's texts, per text. */
  #structuredOf(rule: PiiRule): Promise<PiiSpan[][]> {
    const key = scopeKey(rule);
    let spans = this.#structured.get(key);
    if (!spans) {
      spans = Promise.resolve(structuredSpans(scopeTexts(this.#context, rule), this.#run, this.#optIn));
      this.#structured.set(key, spans);
    }
    return spans;
  }

  /** Validator spans only. */
  async structured(rule: PiiRule): Promise<PiiSpan[]> {
    return (await this.#structuredOf(rule)).flat();
  }

  /** Validator and model spans of the scope's texts, overlaps resolved per text, concatenated. */
  get(model: SpanModel, rule: PiiRule): Promise<PiiSpan[]> {
    let id = this.#models.get(model);
    if (id === undefined) {
      id = this.#models.size;
      this.#models.set(model, id);
    }
    const key = `${id}:${scopeKey(rule)}`;
    let result = this.#merged.get(key);
    if (!result) {
      const texts = scopeTexts(this.#context, rule);
      result = Promise.all([this.#structuredOf(rule), modelSpans(model, texts, this.#run)]).then(
        ([structured, learned]) =>
          texts.flatMap((text, i) => {
            const weighed = weighEntityEvidence(text, [...(structured[i] ?? []), ...(learned[i] ?? [])]);
            // Opt-in spans stay out of the overlap resolution, as in detectPii.
            return [
              ...resolveOverlaps(weighed.filter((s) => !isOptIn(s.type))),
              ...weighed.filter((s) => isOptIn(s.type)),
            ];
          }),
      );
      this.#merged.set(key, result);
    }
    return result;
  }
}

/** Rules that need an entity model: validators plus the model's spans, evaluated asynchronously. */
function entityEvaluator(compiled: readonly CompiledRule[], optIn: ReadonlySet<PiiType>): SignalEvaluator {
  const models = new Set(compiled.flatMap((c) => (c.model ? [c.model] : [])));
  return {
    async evaluate(context: RequestContext, run = UNBOUNDED_RUN) {
      const spans = new RequestSpans(context, run, optIn);
      const perRule = await Promise.all(
        compiled.map((c) => (c.model ? spans.get(c.model, c.rule) : spans.structured(c.rule))),
      );
      const matches: SignalMatch[] = [];
      compiled.forEach((c, i) => {
        const match = matchOf(c, perRule[i] ?? []);
        if (match) matches.push(match);
      });
      return matches;
    },
    close() {
      for (const model of models) model.close();
    },
  };
}

/**
 * The `pii` family with the given entity model formats (by default the ones that cover the built-in tagger). The
 * model-loading code (ONNX, tokenizers) is imported only for a rule that needs an entity model.
 */
export function createPiiFamily(loaders?: readonly SpanModelLoader[]): SignalFamily<PiiRule> {
  return defineSignalFamily<PiiRule>({
    family: 'pii',
    conditionType: 'pii',
    ruleSchema: piiRuleSchema,
    // A privacy signal that cannot read the request must keep it private.
    defaultOnError: 'match',
    create(rules, deps) {
      const problems = typeProblems(rules);
      if (problems.length > 0) throw new RuleConfigError(problems);
      const warnings = undetectedTypeWarnings(rules);
      // Opt-in detectors run when some rule names their type; only such rules count their spans (matchOf).
      const optIn = new Set(rules.flatMap((r) => r.pii_types ?? []).filter(isOptIn));
      const withWarnings = (evaluator: SignalEvaluator): SignalEvaluator =>
        warnings.length === 0 ? evaluator : Object.assign(evaluator, { warnings });
      // Heuristic-only policies stay synchronous and never touch ONNX Runtime.
      if (!rules.some(needsEntityModel))
        return withWarnings(
          structuredEvaluator(
            rules.map((r) => compile(r, undefined)),
            optIn,
          ),
        );
      return import('./pii-entity-models.ts')
        .then(({ loadPiiEntityModels }) => loadPiiEntityModels(rules, deps, loaders))
        .then((models) =>
          withWarnings(
            entityEvaluator(
              rules.map((r, i) => compile(r, models[i])),
              optIn,
            ),
          ),
        );
    },
  });
}

export const piiFamily = createPiiFamily();
