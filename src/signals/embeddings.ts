// `embeddings` family (condition type `embedding`): cosine similarity of the last user message to candidate texts.
import { z } from 'zod';
import { loadEmbedders, type TextEmbeddingModel } from '../ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool, resolveModelFile } from '../ml/model-store.ts';
import { cosine } from '../ml/vector-math.ts';
import type { RequestContext } from '../request/request-context.ts';
import { modelFileRuleError, probabilitySchema } from './classifiers.ts';
import { defineSignalFamily, type RuleProblem, type SignalDeps, type SignalMatch } from './signal-family.ts';

/** Directory name of the built-in embedding model under `models/`. */
export const BUILTIN_EMBEDDING_MODEL = 'embedding';

/** Candidate texts longer than this are rejected: they are embedded once at load, but should be phrases. */
export const MAX_CANDIDATE_CHARS = 4096;

export const candidateSchema = z
  .string()
  .min(1, 'candidates must not be empty strings')
  .max(MAX_CANDIDATE_CHARS, `candidates must be at most ${MAX_CANDIDATE_CHARS} characters`);

export const modelSchema = z.string().min(1, 'model must name a model file or directory').optional();

/** The peer's query modalities; only `text` is embedded here (no multimodal embedder ships with this router). */
const QUERY_MODALITIES = ['text', 'image', 'audio'] as const;

/** Fields of vLLM Semantic Router's multimodal embedding rules that this router does not implement. */
const IMAGE_FIELDS = ['image_candidates', 'image_threshold'] as const;

/** Embedding models of a family's rules, loaded once per distinct file. */
export interface RuleEmbedders {
  readonly byRule: readonly TextEmbeddingModel[];
  readonly all: readonly TextEmbeddingModel[];
}

/**
 * Loads the embedding model each rule names (`model:` relative to the policy, a file or a directory with
 * model.onnx, which may be a Hugging Face feature extraction export; absent = the built-in `models/embedding`). A missing or broken file is a RuleConfigError at
 * `model` of every rule using it.
 */
export async function loadRuleEmbedders(
  specs: readonly (string | undefined)[],
  deps: SignalDeps,
  builtin: string | readonly string[] = BUILTIN_EMBEDDING_MODEL,
): Promise<RuleEmbedders> {
  const builtinDir = deps.builtinModelsDir ?? BUILTIN_MODELS_DIR;
  const builtinOf = (ruleIndex: number) =>
    typeof builtin === 'string' ? builtin : (builtin[ruleIndex] ?? BUILTIN_EMBEDDING_MODEL);
  const files = await Promise.all(
    specs.map((spec, k) => resolveModelFile(spec, deps.policyDir, builtinOf(k), builtinDir)),
  );
  let loaded: Map<string, TextEmbeddingModel>;
  try {
    loaded = await loadEmbedders(deps.sessionPool ?? defaultSessionPool(), files);
  } catch (error) {
    throw modelFileRuleError(error, files, (ruleIndex) => specs[ruleIndex] === undefined, {
      kind: 'an embedding',
      builtin: typeof builtin === 'string' ? builtin : [...new Set(builtin)].join(' / '),
    });
  }
  const byRule = files.map((file) => loaded.get(file) as TextEmbeddingModel);
  return { byRule, all: [...loaded.values()] };
}

/** Embeds a list of candidate texts with each rule's model, one batched call per model for all distinct texts. */
export async function embedCandidates(
  embedders: RuleEmbedders,
  lists: readonly (readonly (readonly string[])[])[],
): Promise<Float32Array[][][]> {
  const byModel = new Map<TextEmbeddingModel, Set<string>>();
  lists.forEach((ruleLists, ruleIndex) => {
    const embedder = embedders.byRule[ruleIndex];
    if (embedder === undefined) return;
    let texts = byModel.get(embedder);
    if (!texts) {
      texts = new Set();
      byModel.set(embedder, texts);
    }
    for (const list of ruleLists) for (const text of list) texts.add(text);
  });
  const vectors = new Map<TextEmbeddingModel, Map<string, Float32Array>>();
  for (const [embedder, texts] of byModel) {
    const list = [...texts];
    const out = await embedder.embed(list);
    vectors.set(embedder, new Map(list.map((t, i) => [t, out[i] ?? new Float32Array(embedder.dim)])));
  }
  return lists.map((ruleLists, ruleIndex) => {
    const embedder = embedders.byRule[ruleIndex];
    const table = embedder === undefined ? undefined : vectors.get(embedder);
    return ruleLists.map((list) => list.map((t) => table?.get(t) ?? new Float32Array(0)));
  });
}

/**
 * Per request, each model file embeds the last user message once, whichever rules and families ask for it
 * (families load their own TextEmbeddingModel over the same shared session, so the key is the file).
 */
const requestEmbeddings = new WeakMap<RequestContext, Map<string, Promise<Float32Array | undefined>>>();

/**
 * The last user message's embedding by `embedder`, computed once per request and model; `undefined` when the
 * request has no user text (then no embedding rule matches).
 */
export function embedLastUserText(
  context: RequestContext,
  embedder: TextEmbeddingModel,
): Promise<Float32Array | undefined> {
  let byModel = requestEmbeddings.get(context);
  if (!byModel) {
    byModel = new Map();
    requestEmbeddings.set(context, byModel);
  }
  let result = byModel.get(embedder.file);
  if (!result) {
    const text = context.lastUserText;
    result = text.trim() === '' ? Promise.resolve(undefined) : embedder.embed([text]).then((v) => v[0]);
    byModel.set(embedder.file, result);
  }
  return result;
}

/** Cosine similarity of two of `embedder`'s vectors on the scale its thresholds are written in. */
export function similarity(embedder: TextEmbeddingModel, a: Float32Array, b: Float32Array): number {
  const raw = cosine(a, b);
  return embedder.calibrate ? embedder.calibrate(raw) : raw;
}

/** Largest similarity of `query` to any vector of `bank` (-1 for an empty bank). */
export function maxSimilarity(
  embedder: TextEmbeddingModel,
  query: Float32Array,
  bank: readonly Float32Array[],
): number {
  let best = -1;
  for (const v of bank) best = Math.max(best, similarity(embedder, query, v));
  return best;
}

/**
 * The built-in model similarity rules use when they name none: vLLM Semantic Router files get the lexical model,
 * whose similarities are calibrated onto the peer's threshold scale; v1 policies the topic encoder.
 */
export function similarityModelOf(deps: SignalDeps): string {
  return deps.similarityModel ?? BUILTIN_EMBEDDING_MODEL;
}

/** A similarity as a confidence in [0, 1]. */
export function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** A rule's embedding model and its candidate lists, embedded once at policy load. */
export interface EmbeddedRule {
  readonly embedder: TextEmbeddingModel;
  /** One list of vectors per candidate list, in the order `lists` gave them. */
  readonly banks: readonly (readonly Float32Array[])[];
}

/**
 * Loads each rule's embedding model (`model` of the rule; the built-in one when absent) and embeds its candidate
 * lists; the models are released again when embedding fails.
 */
export async function loadEmbeddedRules<Rule extends { readonly model?: string | undefined }>(
  rules: readonly Rule[],
  deps: SignalDeps,
  lists: (rule: Rule) => readonly (readonly string[])[],
  builtin: string = BUILTIN_EMBEDDING_MODEL,
): Promise<{ readonly embedders: RuleEmbedders; readonly rules: readonly EmbeddedRule[] }> {
  const embedders = await loadRuleEmbedders(
    rules.map((r) => r.model),
    deps,
    builtin,
  );
  let banks: Float32Array[][][];
  try {
    banks = await embedCandidates(embedders, rules.map(lists));
  } catch (error) {
    closeEmbedders(embedders)();
    throw error;
  }
  return {
    embedders,
    rules: rules.map((_, k) => ({
      embedder: embedders.byRule[k] as TextEmbeddingModel,
      banks: banks[k] ?? [],
    })),
  };
}

/** Releases every model of a family when its policy generation is closed. */
export function closeEmbedders(embedders: RuleEmbedders): () => void {
  return () => {
    for (const embedder of embedders.all) embedder.close();
  };
}

export const AGGREGATION_METHODS = ['mean', 'max', 'any'] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

/** Aggregation of a rule that sets none (vLLM Semantic Router's default). */
export const DEFAULT_AGGREGATION: AggregationMethod = 'max';

const embeddingRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Similarity (cosine, in [0, 1] for the built-in model) the aggregated score must reach. */
    threshold: probabilitySchema,
    /** Texts the last user message is compared with. */
    candidates: z.array(candidateSchema).min(1, 'needs at least one candidate'),
    /** `max` (default): best candidate; `mean`: average over candidates; `any`: some candidate ≥ threshold. */
    aggregation_method: z
      .enum(AGGREGATION_METHODS, { message: 'aggregation_method must be mean, max or any' })
      .optional(),
    /** Extension: texts that veto the match when the best of them is at least as similar as the positive score. */
    negative_candidates: z.array(candidateSchema).optional(),
    /** Extension: embedding model file or directory (also a Hugging Face export), relative to the policy file. */
    model: modelSchema,
    /** Which part of the request the query embeds: `text` (default); `image` and `audio` need a multimodal model. */
    query_modality: z
      .enum(QUERY_MODALITIES, { message: 'query_modality must be text, image or audio' })
      .optional(),
    image_candidates: z.unknown().optional(),
    image_threshold: z.unknown().optional(),
  })
  .superRefine((rule, ctx) => {
    for (const field of IMAGE_FIELDS) {
      if (rule[field] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} is not supported: this router embeds text only; remove it or use text candidates`,
        });
      }
    }
  });

export type EmbeddingRule = z.infer<typeof embeddingRuleSchema>;

/** Aggregates a rule's candidate similarities; `any` reports the best similarity. */
export function aggregate(similarities: readonly number[], method: AggregationMethod): number {
  if (similarities.length === 0) return 0;
  if (method === 'mean') return similarities.reduce((a, b) => a + b, 0) / similarities.length;
  return Math.max(...similarities);
}

export const embeddingsFamily = defineSignalFamily<EmbeddingRule>({
  family: 'embeddings',
  conditionType: 'embedding',
  ruleSchema: embeddingRuleSchema,
  async create(rules, deps) {
    const { embedders, rules: embedded } = await loadEmbeddedRules(
      rules,
      deps,
      (r) => [r.candidates, r.negative_candidates ?? []],
      similarityModelOf(deps),
    );
    const warnings = nonTextQueryWarnings(rules);
    const compiled = rules.map((rule, k) => ({
      rule,
      embedder: embedded[k]?.embedder as TextEmbeddingModel,
      positives: embedded[k]?.banks[0] ?? [],
      negatives: embedded[k]?.banks[1] ?? [],
      method: rule.aggregation_method ?? DEFAULT_AGGREGATION,
    }));
    return {
      async evaluate(context) {
        const queries = await Promise.all(compiled.map((c) => embedLastUserText(context, c.embedder)));
        const matches: SignalMatch[] = [];
        compiled.forEach(({ rule, embedder, positives, negatives, method }, k) => {
          const query = queries[k];
          if (query === undefined || (rule.query_modality ?? 'text') !== 'text') return;
          const score = clampUnit(
            aggregate(
              positives.map((v) => similarity(embedder, query, v)),
              method,
            ),
          );
          if (score < rule.threshold) return;
          if (negatives.length > 0 && maxSimilarity(embedder, query, negatives) >= score) return;
          matches.push({
            name: rule.name,
            confidence: score,
            detail: `${method} similarity=${score.toFixed(3)}`,
          });
        });
        return matches;
      },
      close: closeEmbedders(embedders),
      warnings,
    };
  },
});

/** One warning per rule whose query is an image or audio: it never matches here. */
function nonTextQueryWarnings(rules: readonly EmbeddingRule[]): RuleProblem[] {
  return rules.flatMap((rule, ruleIndex) =>
    rule.query_modality === undefined || rule.query_modality === 'text'
      ? []
      : [
          {
            ruleIndex,
            path: 'query_modality',
            message: `query_modality ${rule.query_modality} needs a multimodal embedding model, which this router does not ship: rule '${rule.name}' never matches`,
            hint: 'use query_modality: text with text candidates, or remove the rule',
            neverMatches: rule.name,
          },
        ],
  );
}
