// `kb` family (condition type `kb`): knowledge-base classification as in vLLM Semantic Router. The last user message
// is scored against each label's exemplar prototypes with the built-in embedding model (or the knowledge base's own
// `model`); rules match a label or a group (`best` or `threshold`), and every knowledge base a rule reads also reports
// its metrics as matches named `kb_metric:<kb>:<metric>`, which projection `kb_metric` inputs read.
import { z } from 'zod';
import type { TextEmbeddingModel } from '../ml/embedding/text-embedder.ts';
import { cosine } from '../ml/vector-math.ts';
import {
  clampUnit,
  closeEmbedders,
  embedLastUserText,
  loadRuleEmbedders,
  similarityModelOf,
} from './embeddings.ts';
import { BUILTIN_KNOWLEDGE_BASE_MODELS, BUILTIN_KNOWLEDGE_BASES } from './kb/builtin-knowledge-bases.ts';
import { type KnowledgeBaseResult, ruleConfidence, summarise } from './kb/kb-scoring.ts';
import {
  KnowledgeBaseSourceError,
  type LoadedManifest,
  loadLabelsManifest,
} from './kb/knowledge-base-files.ts';
import type { KnowledgeBaseDocument } from './kb/knowledge-base-schema.ts';
import { buildPrototypes, type Prototype, type Similarity, scoreLabel } from './kb/prototype-bank.ts';
import { rescaleCosine, SIMILARITY_FLOOR } from './kb/similarity-scale.ts';
import { kbMetricMatchName } from './kb-references.ts';
import {
  defineSignalFamily,
  RuleConfigError,
  type RuleProblem,
  type SignalDeps,
  type SignalMatch,
} from './signal-family.ts';

const kbRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Name of a knowledge base: the policy's `knowledge_bases`, else a built-in one (privacy_kb, mmlu_kb). */
  kb: z.string().min(1, 'kb must name a knowledge base'),
  target: z.strictObject({
    kind: z.enum(['label', 'group'], { message: 'target.kind must be label or group' }),
    value: z.string().min(1),
  }),
  /** `threshold` (the peer's default): the target passes its threshold; `best`: the target holds the best label. */
  match: z.enum(['best', 'threshold'], { message: 'match must be best or threshold' }).default('threshold'),
});

export type KbRule = z.infer<typeof kbRuleSchema>;

interface LoadedKnowledgeBase {
  readonly kb: KnowledgeBaseDocument;
  readonly labels: ReadonlyMap<string, readonly Prototype[]>;
  readonly embedder: TextEmbeddingModel;
  /** Cosine on this knowledge base's scale (its similarity floor). */
  readonly similarity: Similarity;
}

/** Semantic problems of a knowledge base against its manifest: groups, thresholds and metrics naming nothing. */
function definitionProblems(kb: KnowledgeBaseDocument, labels: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [group, members] of Object.entries(kb.groups))
    for (const label of members)
      if (!labels.has(label))
        problems.push(`group '${group}' lists '${label}', which is no label of the manifest`);
  for (const label of Object.keys(kb.label_thresholds))
    if (!labels.has(label))
      problems.push(`label_thresholds names '${label}', which is no label of the manifest`);
  for (const metric of kb.metrics)
    for (const group of [metric.positive_group, metric.negative_group])
      if (kb.groups[group] === undefined)
        problems.push(`metric '${metric.name}' reads group '${group}', which is not declared`);
  return problems.map((p) => `knowledge base '${kb.name}': ${p}`);
}

function targetProblem(
  rule: KbRule,
  kb: KnowledgeBaseDocument,
  labels: ReadonlySet<string>,
): string | undefined {
  const { kind, value } = rule.target;
  if (kind === 'label' && !labels.has(value))
    return `'${value}' is not a label of knowledge base '${kb.name}' (labels: ${[...labels].join(', ')})`;
  if (kind === 'group' && kb.groups[value] === undefined)
    return `'${value}' is not a group of knowledge base '${kb.name}' (groups: ${Object.keys(kb.groups).join(', ') || 'none'})`;
  return undefined;
}

interface ResolvedKnowledgeBases {
  readonly definitions: ReadonlyMap<string, KnowledgeBaseDocument>;
  readonly manifests: ReadonlyMap<string, LoadedManifest>;
}

/**
 * The built-in model a knowledge base naming none embeds with: the one measured best for a built-in knowledge base,
 * else the policy's similarity model (the lexical one for vLLM Semantic Router files).
 */
function defaultModelOf(name: string, resolved: ResolvedKnowledgeBases, deps: SignalDeps): string {
  const builtin = BUILTIN_KNOWLEDGE_BASES.get(name);
  if (builtin !== undefined && resolved.definitions.get(name) === builtin)
    return BUILTIN_KNOWLEDGE_BASE_MODELS.get(name) ?? similarityModelOf(deps);
  return similarityModelOf(deps);
}

/** Finds each rule's knowledge base and reads its manifest; every problem is a RuleConfigError of the rule. */
function resolveKnowledgeBases(rules: readonly KbRule[], deps: SignalDeps): ResolvedKnowledgeBases {
  const defined = new Map((deps.knowledgeBases ?? []).map((kb) => [kb.name, kb]));
  const problems: RuleProblem[] = [];
  const manifests = new Map<string, LoadedManifest>();
  const definitions = new Map<string, KnowledgeBaseDocument>();
  rules.forEach((rule, ruleIndex) => {
    const kb = defined.get(rule.kb) ?? BUILTIN_KNOWLEDGE_BASES.get(rule.kb);
    if (kb === undefined) {
      problems.push({
        ruleIndex,
        path: 'kb',
        message: `knowledge base '${rule.kb}' is not defined`,
        hint: `declare it under knowledge_bases (v0.3: global.model_catalog.kbs), or use a built-in one: ${[...BUILTIN_KNOWLEDGE_BASES.keys()].join(', ')}`,
      });
      return;
    }
    if (!definitions.has(kb.name)) {
      try {
        const manifest = loadLabelsManifest(kb, deps.policyDir);
        const labelNames = new Set(manifest.labels.keys());
        for (const message of definitionProblems(kb, labelNames))
          problems.push({ ruleIndex, path: 'kb', message });
        manifests.set(kb.name, manifest);
      } catch (error) {
        if (!(error instanceof KnowledgeBaseSourceError)) throw error;
        problems.push({
          ruleIndex,
          path: 'kb',
          message: error.message,
          hint: 'set source.path relative to the policy file (or a directory above it) or install the knowledge base there',
        });
      }
      definitions.set(kb.name, kb);
    }
    const manifest = manifests.get(kb.name);
    const problem = manifest && targetProblem(rule, kb, new Set(manifest.labels.keys()));
    if (problem) problems.push({ ruleIndex, path: 'target.value', message: problem });
  });
  if (problems.length > 0) throw new RuleConfigError(problems);
  return { definitions, manifests };
}

/** Embeds every knowledge base's exemplars (one batched call per model) and reduces them to prototypes. */
async function buildKnowledgeBases(
  resolved: ResolvedKnowledgeBases,
  embedderOf: ReadonlyMap<string, TextEmbeddingModel>,
): Promise<Map<string, LoadedKnowledgeBase>> {
  const textsByModel = new Map<TextEmbeddingModel, Set<string>>();
  for (const [name, manifest] of resolved.manifests) {
    const embedder = embedderOf.get(name) as TextEmbeddingModel;
    const texts = textsByModel.get(embedder) ?? new Set<string>();
    for (const exemplars of manifest.labels.values()) for (const text of exemplars) texts.add(text);
    textsByModel.set(embedder, texts);
  }
  const vectors = new Map<TextEmbeddingModel, Map<string, Float32Array>>();
  for (const [embedder, texts] of textsByModel) {
    const list = [...texts];
    const out = await embedder.embed(list);
    vectors.set(embedder, new Map(list.map((t, i) => [t, out[i] ?? new Float32Array(0)])));
  }
  const loaded = new Map<string, LoadedKnowledgeBase>();
  for (const [name, manifest] of resolved.manifests) {
    const kb = resolved.definitions.get(name) as KnowledgeBaseDocument;
    const embedder = embedderOf.get(name) as TextEmbeddingModel;
    const floor = kb.similarity_floor ?? (kb.model === undefined ? SIMILARITY_FLOOR : 0);
    const { calibrate } = embedder;
    const similarity: Similarity =
      calibrate && kb.similarity_floor === undefined
        ? (a, b) => calibrate(cosine(a, b))
        : (a, b) => rescaleCosine(cosine(a, b), floor);
    const table = vectors.get(embedder);
    const labels = new Map<string, readonly Prototype[]>();
    for (const [label, exemplars] of manifest.labels) {
      const bank = exemplars.map((text) => ({ text, vector: table?.get(text) ?? new Float32Array(0) }));
      labels.set(label, buildPrototypes(bank, kb.prototype_scoring, similarity));
    }
    loaded.set(name, { kb, labels, embedder, similarity });
  }
  return loaded;
}

/** Every label's score for one query embedding. */
export function labelScoresOf(loaded: LoadedKnowledgeBase, query: Float32Array): Map<string, number> {
  const scores = new Map<string, number>();
  for (const [label, prototypes] of loaded.labels)
    scores.set(label, scoreLabel(query, prototypes, loaded.kb.prototype_scoring, loaded.similarity).score);
  return scores;
}

export const kbFamily = defineSignalFamily<KbRule>({
  family: 'kb',
  conditionType: 'kb',
  ruleSchema: kbRuleSchema,
  async create(rules, deps) {
    const resolved = resolveKnowledgeBases(rules, deps);
    // One model spec per rule (its knowledge base's `model`), so a broken model file is reported at the rules using it.
    const embedders = await loadRuleEmbedders(
      rules.map((rule) => resolved.definitions.get(rule.kb)?.model),
      deps,
      rules.map((rule) => defaultModelOf(rule.kb, resolved, deps)),
    );
    let knowledgeBases: Map<string, LoadedKnowledgeBase>;
    try {
      const embedderOf = new Map<string, TextEmbeddingModel>();
      rules.forEach((rule, k) => {
        const embedder = embedders.byRule[k];
        if (embedder && !embedderOf.has(rule.kb)) embedderOf.set(rule.kb, embedder);
      });
      knowledgeBases = await buildKnowledgeBases(resolved, embedderOf);
    } catch (error) {
      closeEmbedders(embedders)();
      throw error;
    }
    return {
      async evaluate(context) {
        const loaded = [...knowledgeBases.values()];
        const queries = await Promise.all(loaded.map((kb) => embedLastUserText(context, kb.embedder)));
        const matches: SignalMatch[] = [];
        const results = new Map<string, KnowledgeBaseResult>();
        loaded.forEach((knowledgeBase, k) => {
          const query = queries[k];
          if (query === undefined) return;
          const name = knowledgeBase.kb.name;
          const result = summarise(knowledgeBase.kb, labelScoresOf(knowledgeBase, query));
          results.set(name, result);
          for (const [metric, value] of result.metrics)
            matches.push({
              name: kbMetricMatchName(name, metric),
              confidence: clampUnit(value),
              value,
              detail: `${metric}=${value.toFixed(3)}`,
            });
        });
        for (const rule of rules) {
          const knowledgeBase = knowledgeBases.get(rule.kb);
          const result = results.get(rule.kb);
          if (!knowledgeBase || !result) continue;
          const confidence = ruleConfidence(knowledgeBase.kb, result, rule.target, rule.match);
          if (confidence === undefined) continue;
          matches.push({
            name: rule.name,
            confidence: clampUnit(confidence),
            detail: `best=${result.bestLabel ?? 'none'} score=${confidence.toFixed(3)}`,
          });
        }
        return matches;
      },
      close: closeEmbedders(embedders),
    };
  },
});
