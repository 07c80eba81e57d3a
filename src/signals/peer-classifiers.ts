// vLLM Semantic Router's `classifiers` rules with `type: llm` (an external chat model picks one of `labels`) and
// `type: local` (`model_path`, a sequence classifier). Decisions read `{type: classifier, name, label}` (the label's
// score) or `{type: classifier, name}` (the top label is not the first one, which names the benign class, as in
// `[SAFE, JAILBREAK]`). The peer's system models do not exist here: known ones are replaced by the router's
// built-in equivalents with a policy warning; any other missing model is an error.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TextClassifierModel } from '../ml/model-store.ts';
import type { OnError } from '../policy/policy-schema.ts';
import type { RequestContext } from '../request/request-context.ts';
// Only functions of classifiers.ts are used here (at run time): classifiers.ts imports this module.
import { clampProbability, closeModels, loadRuleModels, type RuleModels } from './classifiers.ts';
import type { ExternalModel } from './external-models.ts';
import { readUnsafe, unsafeLabelsOf } from './jailbreak-categories.ts';
import { classifyWithLlm } from './llm-label-client.ts';
import {
  RuleConfigError,
  type RuleProblem,
  type SignalDeps,
  type SignalEvaluator,
  type SignalMatch,
} from './signal-family.ts';

export const peerClassifierRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    type: z.enum(['llm', 'local'], { message: 'classifier type must be llm or local' }),
    /** `type: llm`: the name of an entry of `external_models` (v0.3: `global.model_catalog.external`). */
    model: z.string().min(1).optional(),
    /** `type: local`: a classifier model directory or file, relative to the policy file. */
    model_path: z.string().min(1).optional(),
    labels: z
      .array(z.string().min(1))
      .min(2, 'a classifier needs at least two labels')
      .refine(
        (labels) => new Set(labels.map((l) => l.toLowerCase())).size === labels.length,
        'labels must differ',
      ),
    instructions: z.string().optional(),
    use_cpu: z.boolean().optional(),
    /** Score the top label needs for the rule's own name to match (default 0.5). */
    threshold: z.number().min(0).max(1).optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.type === 'llm' && rule.model === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: 'a type: llm classifier names its external model',
      });
    if (rule.type === 'local' && rule.model_path === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['model_path'],
        message: 'a type: local classifier needs model_path',
      });
  });

export type PeerClassifierRule = z.infer<typeof peerClassifierRuleSchema>;

/** Labels that mean "this request is unsafe": rules scoring one fail closed unless they say otherwise. */
const SAFETY_LABEL = /jailbreak|unsafe|risky|risk|harm|toxic|injection|malicious|attack|abuse|danger|violat/i;

/** `on_error` of a reference name whose rule sets none: safety labels (and their rule's own name) fail closed. */
export function peerClassifierDefaultOnError(
  rule: PeerClassifierRule,
  referenceName: string,
): OnError | undefined {
  const unsafeLabels = rule.labels.slice(1).filter((l) => SAFETY_LABEL.test(l));
  if (unsafeLabels.length === 0) return undefined;
  if (referenceName === rule.name) return 'match';
  return unsafeLabels.some((l) => referenceName === `${rule.name}:${l}`) ? 'match' : undefined;
}

export function peerClassifierReferenceNames(rule: PeerClassifierRule): string[] {
  return [rule.name, ...rule.labels.map((l) => `${rule.name}:${l}`)];
}

/** The peer's system model paths and the built-in model that answers the same question. */
const SYSTEM_MODEL_SUBSTITUTES: readonly {
  readonly pattern: RegExp;
  readonly builtin: 'jailbreak' | 'domain';
}[] = [
  { pattern: /jailbreak|prompt[-_]?guard/i, builtin: 'jailbreak' },
  { pattern: /intent[-_]classifier|domain[-_]classifier|category[-_]classifier/i, builtin: 'domain' },
];

/** Scores per label (in the rule's label order) for one text. */
type LabelScorer = (context: RequestContext, signal: AbortSignal | undefined) => Promise<readonly number[]>;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

function matchesOf(rule: PeerClassifierRule, scores: readonly number[]): SignalMatch[] {
  const matches: SignalMatch[] = [];
  let top = 0;
  rule.labels.forEach((label, i) => {
    const score = clampProbability(scores[i]);
    if (score > clampProbability(scores[top])) top = i;
    if (score > 0)
      matches.push({
        name: `${rule.name}:${label}`,
        confidence: score,
        detail: `p(${label})=${score.toFixed(3)}`,
      });
  });
  const topScore = clampProbability(scores[top]);
  if (top > 0 && topScore >= (rule.threshold ?? 0.5))
    matches.push({ name: rule.name, confidence: topScore, detail: `label=${rule.labels[top]}` });
  return matches;
}

function llmScorer(rule: PeerClassifierRule, model: ExternalModel): LabelScorer {
  return async (context, signal) => {
    const { label, confidence } = await classifyWithLlm(model, {
      labels: rule.labels,
      instructions: rule.instructions,
      text: context.lastUserText,
      signal,
    });
    return rule.labels.map((l) => (l === label ? confidence : 0));
  };
}

function localScorer(
  rule: PeerClassifierRule,
  classifier: TextClassifierModel,
  builtin: string | undefined,
): LabelScorer {
  const read = async (context: RequestContext) =>
    (await classifier.classify([context.lastUserText]))[0] ?? new Float32Array(0);
  if (builtin === 'jailbreak') {
    const unsafe = unsafeLabelsOf(classifier.labels);
    return async (context) => {
      const p = readUnsafe(await read(context), unsafe).probability;
      return rule.labels.map((_, i) => (i === 0 ? 1 - p : i === 1 ? p : 0));
    };
  }
  const indices = rule.labels.map((l) =>
    classifier.labels.findIndex((m) => m.toLowerCase() === l.toLowerCase()),
  );
  return async (context) => {
    const probabilities = await read(context);
    return indices.map((index) => (index < 0 ? 0 : (probabilities[index] ?? 0)));
  };
}

/** Builds the evaluator of the peer-shaped classifier rules; `indices` are their places in the family's list. */
export async function createPeerClassifiers(
  rules: readonly PeerClassifierRule[],
  indices: readonly number[],
  deps: SignalDeps,
): Promise<SignalEvaluator> {
  const problems: RuleProblem[] = [];
  const warnings: RuleProblem[] = [];
  const localSpecs: (string | null | undefined)[] = [];
  const substitutes: ('jailbreak' | 'domain' | undefined)[] = [];
  for (const [k, rule] of rules.entries()) {
    const ruleIndex = indices[k] ?? k;
    if (rule.type === 'llm') {
      localSpecs.push(undefined);
      substitutes.push(undefined);
      if (!deps.externalModels?.has(rule.model ?? ''))
        problems.push({
          ruleIndex,
          path: 'model',
          message: `no external model named '${rule.model}'`,
          hint: 'declare it under external_models (v0.3: global.model_catalog.external)',
        });
      continue;
    }
    const modelPath = rule.model_path ?? '';
    if (await exists(path.resolve(deps.policyDir, modelPath))) {
      localSpecs.push(modelPath);
      substitutes.push(undefined);
      continue;
    }
    const substitute = SYSTEM_MODEL_SUBSTITUTES.find((s) => s.pattern.test(path.basename(modelPath)));
    if (substitute === undefined) {
      problems.push({
        ruleIndex,
        path: 'model_path',
        message: `classifier model ${modelPath} does not exist and this router has no built-in equivalent`,
        hint: 'point model_path at a classifier model directory (relative to the policy file), or use type: llm',
      });
      localSpecs.push(undefined);
      substitutes.push(undefined);
      continue;
    }
    if (substitute.builtin === 'jailbreak' && rule.labels.length !== 2)
      problems.push({
        ruleIndex,
        path: 'labels',
        message: `the built-in jailbreak model standing in for ${modelPath} scores two labels (benign, unsafe)`,
        hint: 'list two labels, the benign one first, e.g. [SAFE, JAILBREAK]',
      });
    warnings.push({
      ruleIndex,
      path: 'model_path',
      message: `${modelPath} is not installed here: the built-in '${substitute.builtin}' model stands in for it${substitute.builtin === 'jailbreak' ? ` (${rule.labels[0]} = benign, ${rule.labels[1]} = P(unsafe))` : ''}`,
    });
    localSpecs.push(null);
    substitutes.push(substitute.builtin);
  }
  if (problems.length > 0) throw new RuleConfigError(problems);
  const loaded: RuleModels[] = [];
  const load = async (builtin: string, pick: (k: number) => boolean) => {
    const models = await loadRuleModels(
      localSpecs.map((spec, k) => (pick(k) ? spec : undefined)),
      deps,
      builtin,
    );
    loaded.push(models);
    return models;
  };
  const close = () => {
    for (const models of loaded) closeModels(models)?.();
  };
  try {
    const byBuiltin = {
      jailbreak: await load('jailbreak', (k) => substitutes[k] === 'jailbreak'),
      domain: await load('domain', (k) => substitutes[k] === 'domain'),
      files: await load('classifier', (k) => substitutes[k] === undefined && localSpecs[k] !== undefined),
    };
    const scorers: LabelScorer[] = rules.map((rule, k) => {
      if (rule.type === 'llm')
        return llmScorer(rule, deps.externalModels?.get(rule.model ?? '') as ExternalModel);
      const builtin = substitutes[k];
      const classifier = byBuiltin[builtin ?? 'files'].byRule[k] as TextClassifierModel;
      const missing =
        builtin === 'jailbreak'
          ? []
          : rule.labels.filter((l) => !classifier.labels.some((m) => m.toLowerCase() === l.toLowerCase()));
      if (missing.length > 0)
        problems.push({
          ruleIndex: indices[k] ?? k,
          path: 'labels',
          message: `model ${classifier.file} has no label ${missing.map((l) => `'${l}'`).join(', ')}`,
          hint: `use labels of: ${classifier.labels.join(', ')}`,
        });
      return localScorer(rule, classifier, builtin);
    });
    if (problems.length > 0) throw new RuleConfigError(problems);
    const llmTimeouts = rules.flatMap((rule) =>
      rule.type === 'llm' ? [deps.externalModels?.get(rule.model ?? '')?.timeoutMs ?? 0] : [],
    );
    return {
      async evaluate(context, run) {
        if (context.lastUserText.trim() === '') return [];
        const scores = await Promise.all(scorers.map((score) => score(context, run?.signal)));
        return rules.flatMap((rule, k) => matchesOf(rule, scores[k] ?? []));
      },
      close,
      warnings,
      ...(llmTimeouts.length > 0 && { budgetMs: Math.max(...llmTimeouts) }),
    };
  } catch (error) {
    close();
    throw error;
  }
}
