// `classifiers` family (condition type `classifier`): a label's probability from a classifier model vs a threshold.
import { z } from 'zod';
import { HfModelFileError } from '../ml/hf/index.ts';
import {
  BUILTIN_MODELS_DIR,
  defaultSessionPool,
  loadClassifiers,
  resolveModelFile,
  type TextClassifierModel,
} from '../ml/model-store.ts';
import { ModelFileError } from '../ml/onnx-session-pool.ts';
import type { RequestContext } from '../request/request-context.ts';
import { describePredicate, numericPredicateSchema, testPredicate } from './numeric-predicate.ts';
import {
  createPeerClassifiers,
  type PeerClassifierRule,
  peerClassifierDefaultOnError,
  peerClassifierReferenceNames,
  peerClassifierRuleSchema,
} from './peer-classifiers.ts';
import {
  atRuleIndices,
  defineSignalFamily,
  RuleConfigError,
  type RuleProblem,
  type SignalDeps,
  type SignalEvaluator,
  type SignalMatch,
} from './signal-family.ts';

/** Threshold of a `classifiers` rule that sets neither `threshold` nor `predicate`. */
export const DEFAULT_CLASSIFIER_THRESHOLD = 0.5;

/** Most user messages a family classifies with `include_history: true` (the latest ones). */
export const MAX_HISTORY_MESSAGES = 16;

export const probabilitySchema = z.number().min(0).max(1);

/** Models of a family's rules, loaded once per distinct file. `byRule[i]` is undefined for rules needing none. */
export interface RuleModels {
  readonly byRule: readonly (TextClassifierModel | undefined)[];
  readonly all: readonly TextClassifierModel[];
}

/**
 * The error to throw when loading a rule's model failed: a ModelFileError becomes a problem at `model` of every
 * rule that uses that file, or the Hugging Face export directory the file belongs to (with a hint depending on
 * whether the rule named a model); anything else is rethrown.
 */
export function modelFileRuleError(
  error: unknown,
  files: readonly (string | undefined)[],
  usesBuiltin: (ruleIndex: number) => boolean,
  /** `kind` with its article, e.g. `a WideMLP`. */
  model: { readonly kind: string; readonly builtin: string },
): unknown {
  if (!(error instanceof ModelFileError)) return error;
  const problems: RuleProblem[] = [];
  const modelFile = error instanceof HfModelFileError ? error.modelFile : error.file;
  files.forEach((file, ruleIndex) => {
    if (file !== error.file && file !== modelFile) return;
    problems.push({
      ruleIndex,
      path: 'model',
      message: error.message,
      hint: usesBuiltin(ruleIndex)
        ? `set \`model:\` to ${model.kind} model file or directory, or install the built-in '${model.builtin}' model`
        : `\`model:\` is ${model.kind} .onnx file, a directory holding model.onnx, or a Hugging Face ONNX export ` +
          'directory (model.onnx, tokenizer.json, config.json), relative to the policy file',
    });
  });
  return problems.length === 0 ? error : new RuleConfigError(problems);
}

/**
 * Loads the model each rule names (`model:` relative to the policy, a file or a directory with model.onnx, which
 * may be a Hugging Face sequence classification export) or the built-in `builtin` model; `undefined` in `specs`
 * means the rule needs no model (pass `null` for the built-in one). A missing or broken file becomes a
 * RuleConfigError at `model` of every rule using it.
 */
export async function loadRuleModels(
  specs: readonly (string | null | undefined)[],
  deps: SignalDeps,
  builtin: string,
): Promise<RuleModels> {
  const builtinDir = deps.builtinModelsDir ?? BUILTIN_MODELS_DIR;
  const files = await Promise.all(
    specs.map((spec) =>
      spec === undefined
        ? undefined
        : resolveModelFile(spec ?? undefined, deps.policyDir, builtin, builtinDir),
    ),
  );
  const wanted = files.filter((f): f is string => f !== undefined);
  let loaded: Map<string, TextClassifierModel>;
  try {
    loaded = await loadClassifiers(deps.sessionPool ?? defaultSessionPool(), wanted);
  } catch (error) {
    throw modelFileRuleError(error, files, (ruleIndex) => specs[ruleIndex] === null, {
      kind: 'a WideMLP',
      builtin,
    });
  }
  return {
    byRule: files.map((file) => (file === undefined ? undefined : loaded.get(file))),
    all: [...loaded.values()],
  };
}

/** Classifies each distinct (model, text) once per request, however many rules read it. */
export class RequestClassifications {
  readonly #cache = new Map<TextClassifierModel, Map<string, Promise<Float32Array[]>>>();

  get(classifier: TextClassifierModel, key: string, texts: () => readonly string[]): Promise<Float32Array[]> {
    let byKey = this.#cache.get(classifier);
    if (!byKey) {
      byKey = new Map();
      this.#cache.set(classifier, byKey);
    }
    let result = byKey.get(key);
    if (!result) {
      result = classifier.classify(texts());
      byKey.set(key, result);
    }
    return result;
  }
}

/** The last user message's probabilities from each rule's model; each distinct model runs once. */
export function classifyLastUserText(
  classifiers: readonly TextClassifierModel[],
  context: RequestContext,
): Promise<(Float32Array | undefined)[]> {
  const results = new RequestClassifications();
  return Promise.all(
    classifiers.map((classifier) =>
      results.get(classifier, 'last', () => [context.lastUserText]).then((rows) => rows[0]),
    ),
  );
}

/** Throws the rules' problems, after releasing the family's models, when there are any. */
export function throwRuleProblems(problems: readonly RuleProblem[], models: RuleModels): void {
  if (problems.length === 0) return;
  closeModels(models)?.();
  throw new RuleConfigError(problems);
}

/** The latest user messages' texts (at most MAX_HISTORY_MESSAGES), or `['']` when there are none. */
export function userTexts(context: RequestContext): string[] {
  const texts = context.request.messages.filter((m) => m.role === 'user').map((m) => m.text);
  return texts.length === 0 ? [''] : texts.slice(-MAX_HISTORY_MESSAGES);
}

/** A model probability as a confidence in [0, 1] (float32 softmax may overshoot by an ulp). */
export function clampProbability(p: number | undefined): number {
  return p === undefined || Number.isNaN(p) ? 0 : Math.min(1, Math.max(0, p));
}

/** Closes every model of a family when its policy generation is closed. */
export function closeModels(models: RuleModels): SignalEvaluator['close'] {
  return () => {
    for (const classifier of models.all) classifier.close();
  };
}

const classifierRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** WideMLP model file, a directory holding model.onnx or a Hugging Face export, relative to the policy file. */
  model: z.string().min(1, 'model must name a model file or directory'),
  /** The model label whose probability the rule tests. */
  label: z.string().min(1),
  /** Matches when the label's probability is at least this (0.5 when neither threshold nor predicate is set). */
  threshold: probabilitySchema.optional(),
  /** Extension: `{gt, gte, lt, lte}` on the label's probability; with `threshold`, both must hold. */
  predicate: numericPredicateSchema.optional(),
});

/** A rule of this router's shape (`model`, `label`) or of the peer's (`type: llm | local`, `labels`). */
const anyClassifierRuleSchema = z.discriminatedUnion('type', [
  classifierRuleSchema.extend({ type: z.undefined().optional() }),
  peerClassifierRuleSchema,
]);

export type ClassifierRule = z.infer<typeof anyClassifierRuleSchema>;
type ModelLabelRule = z.infer<typeof classifierRuleSchema>;

function isPeerRule(rule: ClassifierRule): rule is PeerClassifierRule {
  return 'type' in rule && rule.type !== undefined;
}

/** Runs the two kinds of rules side by side and merges their matches. */
function combineEvaluators(parts: readonly SignalEvaluator[]): SignalEvaluator {
  if (parts.length === 1 && parts[0]) return parts[0];
  return {
    async evaluate(context, run) {
      const results = await Promise.all(parts.map((p) => p.evaluate(context, run)));
      return results.flat();
    },
    close() {
      for (const part of parts) part.close?.();
    },
    warnings: parts.flatMap((p) => p.warnings ?? []),
    ...(parts.some((p) => p.budgetMs !== undefined) && {
      budgetMs: Math.max(...parts.map((p) => p.budgetMs ?? 0)),
    }),
  };
}

export const classifiersFamily = defineSignalFamily<ClassifierRule>({
  family: 'classifiers',
  conditionType: 'classifier',
  ruleSchema: anyClassifierRuleSchema,
  failClosedWhenGuarding: true,
  referenceNamesOf: (rule) => (isPeerRule(rule) ? peerClassifierReferenceNames(rule) : [rule.name]),
  defaultOnErrorFor: (rule, name) =>
    isPeerRule(rule) ? peerClassifierDefaultOnError(rule, name) : undefined,
  async create(allRules, deps) {
    const peerIndices = allRules.flatMap((rule, i) => (isPeerRule(rule) ? [i] : []));
    const ownIndices = allRules.flatMap((rule, i) => (isPeerRule(rule) ? [] : [i]));
    const parts: SignalEvaluator[] = [];
    try {
      if (peerIndices.length > 0)
        parts.push(
          await createPeerClassifiers(
            peerIndices.map((i) => allRules[i] as PeerClassifierRule),
            peerIndices,
            deps,
          ),
        );
      if (ownIndices.length > 0)
        parts.push(
          await atRuleIndices(
            createModelLabelClassifiers(
              ownIndices.map((i) => allRules[i] as ModelLabelRule),
              deps,
            ),
            ownIndices,
          ),
        );
    } catch (error) {
      for (const part of parts) part.close?.();
      throw error;
    }
    return combineEvaluators(parts);
  },
});

/** This router's own rules: a model file and the label whose probability is tested. */
async function createModelLabelClassifiers(
  rules: readonly ModelLabelRule[],
  deps: SignalDeps,
): Promise<SignalEvaluator> {
  const models = await loadRuleModels(
    rules.map((r) => r.model),
    deps,
    'classifier',
  );
  const compiled = rules.map((rule, ruleIndex) => {
    const classifier = models.byRule[ruleIndex] as TextClassifierModel;
    const labelIndex = classifier.labels.indexOf(rule.label);
    const threshold =
      rule.threshold ?? (rule.predicate === undefined ? DEFAULT_CLASSIFIER_THRESHOLD : undefined);
    return { rule, ruleIndex, classifier, labelIndex, threshold };
  });
  const problems: RuleProblem[] = compiled
    .filter((c) => c.labelIndex < 0)
    .map((c) => ({
      ruleIndex: c.ruleIndex,
      path: 'label',
      message: `model ${c.classifier.file} has no label '${c.rule.label}'`,
      hint: `use one of: ${c.classifier.labels.join(', ')}`,
    }));
  throwRuleProblems(problems, models);
  return {
    async evaluate(context) {
      const outputs = await classifyLastUserText(
        compiled.map((c) => c.classifier),
        context,
      );
      const matches: SignalMatch[] = [];
      compiled.forEach(({ rule, labelIndex, threshold }, k) => {
        const p = clampProbability(outputs[k]?.[labelIndex]);
        const hit =
          (threshold === undefined || p >= threshold) &&
          (rule.predicate === undefined || testPredicate(rule.predicate, p));
        if (hit) {
          const test = rule.predicate ? describePredicate(rule.predicate) : `>= ${threshold}`;
          matches.push({
            name: rule.name,
            confidence: p,
            detail: `p(${rule.label})=${p.toFixed(3)} ${test}`,
          });
        }
      });
      return matches;
    },
    close: closeModels(models),
  };
}
