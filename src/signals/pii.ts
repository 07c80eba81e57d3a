// `pii` family (condition type `pii`): structured PII found by validators, names and addresses by an entity model.
import { z } from 'zod';
import { BUILTIN_MODELS_DIR, defaultSessionPool, resolveModelFile } from '../ml/model-store.ts';
import { loadSpanModel, SPAN_MODEL_LOADERS, type SpanModelLoader } from '../ml/pii/span-model-loader.ts';
import type { EntitySpan, SpanModel } from '../ml/span-model.ts';
import { detectPii, resolveOverlaps } from '../pii/detect.ts';
import { piiTypeOfLabel } from '../pii/entity-labels.ts';
import { LEARNED_PII_TYPES, type PiiSpan, SUPPORTED_PII_TYPES } from '../pii/types.ts';
import type { RequestContext } from '../request/request-context.ts';
import { modelFileRuleError, userTexts } from './classifiers.ts';
import {
  defineSignalFamily,
  RuleConfigError,
  type RuleProblem,
  type SignalDeps,
  type SignalEvaluator,
  type SignalFamily,
  type SignalMatch,
} from './signal-family.ts';

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
  /** Types that are allowed in requests: finding them does not match the rule. */
  pii_types_allowed: piiTypeList.default([]),
  /** Extension: only these types match the rule (default: every detected type not allowed). */
  pii_types: piiTypeList.min(1, 'list at least one type, or omit pii_types').optional(),
  /** Scan every user message rather than only the last one. */
  include_history: z.boolean().default(false),
  /**
   * Entity model for PERSON and STREET_ADDRESS: a model directory (or .onnx file) relative to the policy file;
   * the built-in `models/pii` when absent. Loaded only when the rule asks for those types (see needsEntityModel).
   */
  model: z.string().min(1, 'model must name a model directory or file').optional(),
});

export type PiiRule = z.infer<typeof piiRuleSchema>;

const SUPPORTED = new Set<string>(SUPPORTED_PII_TYPES);

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
      if (!SUPPORTED.has(type))
        problems.push({
          ruleIndex,
          path: `pii_types[${i}]`,
          message: `PII type ${type} is not detected by this router`,
          hint: `use one of ${SUPPORTED_PII_TYPES.join(', ')}`,
        });
    });
  });
  return problems;
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
      s.confidence >= c.rule.threshold &&
      !c.allowed.has(s.type) &&
      (c.only === undefined || c.only.has(s.type)),
  );
  if (counted.length === 0) return undefined;
  const confidence = Math.max(...counted.map((s) => s.confidence));
  return { name: c.rule.name, confidence, detail: describeTypes(counted) };
}

/** Heuristic-only rules: one synchronous validator pass per text, no model. */
function structuredEvaluator(compiled: readonly CompiledRule[]): SignalEvaluator {
  const anyHistory = compiled.some((c) => c.rule.include_history);
  const anyLast = compiled.some((c) => !c.rule.include_history);
  return {
    evaluate(context: RequestContext) {
      const last = anyLast ? detectPii(context.lastUserText) : [];
      const history = anyHistory ? detectPii(context.allUserText) : [];
      const matches: SignalMatch[] = [];
      for (const c of compiled) {
        const match = matchOf(c, c.rule.include_history ? history : last);
        if (match) matches.push(match);
      }
      return matches;
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

/**
 * Spans of one request for rules with a model: the last user message, or with `include_history` each of the
 * latest user messages (a model reads a bounded prefix of a text, so messages are tagged one by one).
 * Validators run once per text, each model once per text; their spans are merged by overlap resolution.
 */
class RequestSpans {
  readonly #context: RequestContext;
  readonly #structured = new Map<string, PiiSpan[][]>();
  readonly #merged = new Map<string, Promise<PiiSpan[]>>();
  readonly #models = new Map<SpanModel, number>();

  constructor(context: RequestContext) {
    this.#context = context;
  }

  #texts(history: boolean): string[] {
    return history ? userTexts(this.#context) : [this.#context.lastUserText];
  }

  #structuredOf(history: boolean): PiiSpan[][] {
    const key = history ? 'history' : 'last';
    let spans = this.#structured.get(key);
    if (!spans) {
      spans = this.#texts(history).map((t) => detectPii(t));
      this.#structured.set(key, spans);
    }
    return spans;
  }

  /** Validator and model spans of the texts, overlaps resolved per text, concatenated. */
  get(model: SpanModel, history: boolean): Promise<PiiSpan[]> {
    let id = this.#models.get(model);
    if (id === undefined) {
      id = this.#models.size;
      this.#models.set(model, id);
    }
    const key = `${id}:${history ? 'history' : 'last'}`;
    let result = this.#merged.get(key);
    if (!result) {
      const texts = this.#texts(history);
      const structured = this.#structuredOf(history);
      result = model
        .spans(texts)
        .then((perText) =>
          texts.flatMap((text, i) =>
            resolveOverlaps([...(structured[i] ?? []), ...entitySpans(text, perText[i] ?? [])]),
          ),
        );
      this.#merged.set(key, result);
    }
    return result;
  }

  /** Validator spans only, over the same text the heuristic-only evaluator scans. */
  structured(history: boolean): PiiSpan[] {
    const key = history ? 'all' : 'last';
    let spans = this.#structured.get(key);
    if (!spans) {
      spans = [detectPii(history ? this.#context.allUserText : this.#context.lastUserText)];
      this.#structured.set(key, spans);
    }
    return spans[0] ?? [];
  }
}

async function loadModels(
  rules: readonly PiiRule[],
  deps: SignalDeps,
  loaders: readonly SpanModelLoader[],
): Promise<(SpanModel | undefined)[]> {
  const specs = rules.map((r) => (needsEntityModel(r) ? (r.model ?? null) : undefined));
  const builtinDir = deps.builtinModelsDir ?? BUILTIN_MODELS_DIR;
  const files = await Promise.all(
    specs.map((spec) =>
      spec === undefined
        ? undefined
        : resolveModelFile(spec ?? undefined, deps.policyDir, BUILTIN_PII_MODEL, builtinDir),
    ),
  );
  const pool = deps.sessionPool ?? defaultSessionPool();
  const loaded = new Map<string, SpanModel>();
  try {
    for (const file of new Set(files)) {
      if (file !== undefined) loaded.set(file, await loadSpanModel(pool, file, loaders));
    }
  } catch (error) {
    for (const model of loaded.values()) model.close();
    throw modelFileRuleError(error, files, (ruleIndex) => specs[ruleIndex] === null, {
      kind: 'a PII entity',
      builtin: BUILTIN_PII_MODEL,
    });
  }
  return files.map((file) => (file === undefined ? undefined : loaded.get(file)));
}

/** Rules that need an entity model: validators plus the model's spans, evaluated asynchronously. */
function entityEvaluator(compiled: readonly CompiledRule[]): SignalEvaluator {
  const models = new Set(compiled.flatMap((c) => (c.model ? [c.model] : [])));
  return {
    async evaluate(context: RequestContext) {
      const spans = new RequestSpans(context);
      const perRule = await Promise.all(
        compiled.map((c) =>
          c.model ? spans.get(c.model, c.rule.include_history) : spans.structured(c.rule.include_history),
        ),
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

/** The `pii` family with the given entity model formats (the default list covers the built-in tagger). */
export function createPiiFamily(
  loaders: readonly SpanModelLoader[] = SPAN_MODEL_LOADERS,
): SignalFamily<PiiRule> {
  return defineSignalFamily<PiiRule>({
    family: 'pii',
    conditionType: 'pii',
    ruleSchema: piiRuleSchema,
    create(rules, deps) {
      const problems = typeProblems(rules);
      if (problems.length > 0) throw new RuleConfigError(problems);
      // Heuristic-only policies stay synchronous and never touch ONNX Runtime.
      if (!rules.some(needsEntityModel)) return structuredEvaluator(rules.map((r) => compile(r, undefined)));
      return loadModels(rules, deps, loaders).then((models) =>
        entityEvaluator(rules.map((r, i) => compile(r, models[i]))),
      );
    },
  });
}

export const piiFamily = createPiiFamily();
