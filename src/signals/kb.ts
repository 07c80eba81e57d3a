// `kb` family (condition type `kb`): knowledge-base classification as in vLLM Semantic Router. The last user message
// is scored against each label's exemplar prototypes with the built-in embedding model; rules match a label or a
// group (`best` or `threshold`), and every knowledge base a rule reads also reports its metrics as matches named
// `kb_metric:<kb>:<metric>`, which projection `kb_metric` inputs read.
import { z } from 'zod';
import type { TextEmbeddingModel } from '../ml/embedding/text-embedder.ts';
import { cosine } from '../ml/vector-math.ts';
import { clampUnit, embedLastUserText, loadRuleEmbedders } from './embeddings.ts';
import { BUILTIN_KNOWLEDGE_BASES } from './kb/builtin-knowledge-bases.ts';
import { type KbMatchMode, type KbTarget, ruleConfidence, summarise } from './kb/kb-scoring.ts';
import { KnowledgeBaseSourceError, loadLabelsManifest } from './kb/knowledge-base-files.ts';
import type { KnowledgeBaseDocument } from './kb/knowledge-base-schema.ts';
import { buildPrototypes, type Prototype, type Similarity, scoreLabel } from './kb/prototype-bank.ts';
import { rescaleCosine } from './kb/similarity-scale.ts';
import {
  defineSignalFamily,
  RuleConfigError,
  type RuleProblem,
  type SignalDeps,
  type SignalMatch,
  type SignalRule,
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

/** Name of the match that carries a knowledge base's metric (lower case, as projections look it up). */
export function kbMetricMatchName(kb: string, metric: string): string {
  return `kb_metric:${kb}:${metric}`.toLowerCase();
}

/** Names of the knowledge bases some rule reads: the ones whose metrics the family reports. */
export function knowledgeBasesReadBy(rules: readonly SignalRule[] | undefined): Set<string> {
  return new Set((rules as readonly Partial<KbRule>[] | undefined)?.flatMap((r) => (r.kb ? [r.kb] : [])));
}

const similarity: Similarity = (a, b) => rescaleCosine(cosine(a, b));

interface LoadedKnowledgeBase {
  readonly kb: KnowledgeBaseDocument;
  readonly labels: ReadonlyMap<string, readonly Prototype[]>;
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

async function loadKnowledgeBases(
  rules: readonly KbRule[],
  deps: SignalDeps,
  embedder: TextEmbeddingModel,
): Promise<Map<string, LoadedKnowledgeBase>> {
  const defined = new Map((deps.knowledgeBases ?? []).map((kb) => [kb.name, kb]));
  const problems: RuleProblem[] = [];
  const manifests = new Map<string, ReturnType<typeof loadLabelsManifest>>();
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

  const texts = [...new Set([...manifests.values()].flatMap((m) => [...m.labels.values()].flat()))];
  const vectors = await embedder.embed(texts);
  const vectorOf = new Map(texts.map((t, i) => [t, vectors[i] ?? new Float32Array(0)]));
  const loaded = new Map<string, LoadedKnowledgeBase>();
  for (const [name, manifest] of manifests) {
    const kb = definitions.get(name) as KnowledgeBaseDocument;
    const labels = new Map<string, readonly Prototype[]>();
    for (const [label, exemplars] of manifest.labels) {
      const bank = exemplars.map((text) => ({ text, vector: vectorOf.get(text) ?? new Float32Array(0) }));
      labels.set(label, buildPrototypes(bank, kb.prototype_scoring, similarity));
    }
    loaded.set(name, { kb, labels });
  }
  return loaded;
}

/** Every label's score for one query embedding. */
export function labelScoresOf(loaded: LoadedKnowledgeBase, query: Float32Array): Map<string, number> {
  const scores = new Map<string, number>();
  for (const [label, prototypes] of loaded.labels)
    scores.set(label, scoreLabel(query, prototypes, loaded.kb.prototype_scoring, similarity).score);
  return scores;
}

export const kbFamily = defineSignalFamily<KbRule>({
  family: 'kb',
  conditionType: 'kb',
  ruleSchema: kbRuleSchema,
  async create(rules, deps) {
    const embedders = await loadRuleEmbedders([undefined], deps);
    const embedder = embedders.byRule[0] as TextEmbeddingModel;
    let knowledgeBases: Map<string, LoadedKnowledgeBase>;
    try {
      knowledgeBases = await loadKnowledgeBases(rules, deps, embedder);
    } catch (error) {
      embedder.close();
      throw error;
    }
    return {
      async evaluate(context) {
        const query = await embedLastUserText(context, embedder);
        if (query === undefined) return [];
        const matches: SignalMatch[] = [];
        const results = new Map<string, ReturnType<typeof summarise>>();
        for (const [name, loaded] of knowledgeBases) {
          const result = summarise(loaded.kb, labelScoresOf(loaded, query));
          results.set(name, result);
          for (const [metric, value] of result.metrics)
            matches.push({
              name: kbMetricMatchName(name, metric),
              confidence: clampUnit(value),
              value,
              detail: `${metric}=${value.toFixed(3)}`,
            });
        }
        for (const rule of rules) {
          const loaded = knowledgeBases.get(rule.kb);
          const result = results.get(rule.kb);
          if (!loaded || !result) continue;
          const confidence = ruleConfidence(
            loaded.kb,
            result,
            rule.target as KbTarget,
            rule.match as KbMatchMode,
          );
          if (confidence === undefined) continue;
          matches.push({
            name: rule.name,
            confidence: clampUnit(confidence),
            detail: `best=${result.bestLabel ?? 'none'} score=${confidence.toFixed(3)}`,
          });
        }
        return matches;
      },
      close: () => embedder.close(),
    };
  },
});
