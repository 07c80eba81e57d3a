// The knowledge bases vLLM Semantic Router ships as defaults (its reference config's `global.model_catalog.kbs`):
// recipes name `privacy_kb` / `mmlu_kb` without declaring them. A policy's own definition of the name wins.
import { type KnowledgeBaseDocument, knowledgeBaseSchema } from './knowledge-base-schema.ts';

const PRIVATE_SECURITY = [
  'prompt_injection',
  'credential_exfiltration',
  'jailbreak_role',
  'system_prompt_extraction',
];
const PRIVATE_POLICY = [
  'proprietary_code',
  'internal_document',
  'pii',
  'business_strategy',
  'trade_secret_ip',
  'operational_infrastructure',
  'locality_directive',
  'customer_data',
];
const PUBLIC_FRONTIER = ['architecture_analysis', 'root_cause_analysis', 'multi_step_tradeoffs'];
const PUBLIC_LOCAL = ['generic_coding', 'simple_task', 'general_knowledge'];

const privacyKb = knowledgeBaseSchema.parse({
  name: 'privacy_kb',
  source: { path: 'knowledge_bases/privacy/', manifest: 'labels.json' },
  threshold: 0.55,
  prototype_scoring: {
    enabled: true,
    cluster_similarity_threshold: 0.9,
    max_prototypes: 8,
    best_weight: 0.75,
    top_m: 2,
    margin_threshold: 0,
  },
  label_thresholds: { prompt_injection: 0.7 },
  groups: {
    security_containment: PRIVATE_SECURITY,
    privacy_policy: PRIVATE_POLICY,
    frontier_reasoning: PUBLIC_FRONTIER,
    local_standard: PUBLIC_LOCAL,
    private: [...PRIVATE_SECURITY, ...PRIVATE_POLICY],
    public: [...PUBLIC_FRONTIER, ...PUBLIC_LOCAL],
  },
  metrics: [
    { name: 'private_vs_public', type: 'group_margin', positive_group: 'private', negative_group: 'public' },
  ],
});

const mmluKb = knowledgeBaseSchema.parse({
  name: 'mmlu_kb',
  source: { path: 'knowledge_bases/mmlu/', manifest: 'labels.json' },
  threshold: 0.25,
  groups: {
    escalate: [
      'biology',
      'business',
      'computer science',
      'economics',
      'history',
      'math',
      'other',
      'philosophy',
      'psychology',
    ],
    keep: ['chemistry', 'engineering', 'health', 'law', 'physics'],
  },
  metrics: [
    { name: 'escalate_vs_keep', type: 'group_margin', positive_group: 'escalate', negative_group: 'keep' },
  ],
});

export const BUILTIN_KNOWLEDGE_BASES: ReadonlyMap<string, KnowledgeBaseDocument> = new Map(
  [privacyKb, mmluKb].map((kb) => [kb.name, kb]),
);

/**
 * The built-in model each built-in knowledge base embeds with when it names none, the better one measured by
 * bench/kb-eval.ts (docs/signals-kb.md): privacy_kb's exemplars are told apart by their wording (lexical model:
 * leave-one-out 43.6 % vs 14.8 %, benign prompts over threshold 25 % vs 90 %), mmlu_kb's by topic (the topic
 * encoder was trained on these domains: best label 64.4 % vs 40.3 %).
 */
export const BUILTIN_KNOWLEDGE_BASE_MODELS: ReadonlyMap<string, string> = new Map([
  ['privacy_kb', 'lexical'],
  ['mmlu_kb', 'embedding'],
]);
