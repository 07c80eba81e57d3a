// Measures the `kb` family's built-in knowledge bases with the built-in embedding model (docs/signals-kb.md):
//  - the similarity floor the calibration subtracts (cosines of benign everyday prompts to exemplars);
//  - mmlu_kb on held-out MMLU-Pro questions (the embedder's test split, minus the exemplars): best-label accuracy,
//    label accuracy (the true label passes its threshold), escalate_vs_keep margin sign accuracy;
//  - privacy_kb leave-one-out over its exemplars (best label, group of the best label), and how often benign
//    AlpacaEval prompts land in the privacy_policy / security_containment groups.
// Usage: node --import tsx bench/kb-eval.ts [--data ../shared/data] [--config ../shared/vsr-config]
//        [--floor 0.6] [--per-category 150] [--model embedding|lexical]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEmbedder, type TextEmbeddingModel } from '../src/ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool } from '../src/ml/model-store.ts';
import { cosine } from '../src/ml/vector-math.ts';
import { BUILTIN_KNOWLEDGE_BASES } from '../src/signals/kb/builtin-knowledge-bases.ts';
import { summarise } from '../src/signals/kb/kb-scoring.ts';
import { loadLabelsManifest } from '../src/signals/kb/knowledge-base-files.ts';
import type { KnowledgeBaseDocument } from '../src/signals/kb/knowledge-base-schema.ts';
import {
  buildPrototypes,
  type Prototype,
  type Similarity,
  scoreLabel,
} from '../src/signals/kb/prototype-bank.ts';
import { rescaleCosine, SIMILARITY_FLOOR } from '../src/signals/kb/similarity-scale.ts';
import { readCsv } from '../src/training/datasets/build.ts';
import { normalizeForDedupe, splitOf } from '../src/training/datasets/split.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    config: { type: 'string', default: '../shared/vsr-config' },
    floor: { type: 'string' },
    model: { type: 'string', default: 'embedding' },
    'per-category': { type: 'string', default: '150' },
  },
});
const dataDir = path.resolve(args.data);
const configDir = path.resolve(args.config);
const floor = args.floor === undefined ? SIMILARITY_FLOOR : Number(args.floor);
const perCategory = Number(args['per-category']);
let similarity: Similarity = (a, b) => rescaleCosine(cosine(a, b), floor);

const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)} %`);
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

async function embedAll(
  embedder: TextEmbeddingModel,
  texts: readonly string[],
): Promise<Map<string, Float32Array>> {
  const unique = [...new Set(texts)];
  const vectors = await embedder.embed(unique);
  return new Map(unique.map((t, i) => [t, vectors[i] as Float32Array]));
}

interface Bank {
  readonly kb: KnowledgeBaseDocument;
  readonly exemplars: ReadonlyMap<string, readonly string[]>;
  prototypes: Map<string, Prototype[]>;
}

function bankOf(
  kb: KnowledgeBaseDocument,
  vectors: ReadonlyMap<string, Float32Array>,
  leaveOut?: string,
): Bank {
  const exemplars = loadLabelsManifest(kb, configDir).labels;
  const prototypes = new Map<string, Prototype[]>();
  for (const [label, texts] of exemplars) {
    const bank = texts
      .filter((t) => t !== leaveOut)
      .map((text) => ({ text, vector: vectors.get(text) as Float32Array }));
    prototypes.set(label, buildPrototypes(bank, kb.prototype_scoring, similarity));
  }
  return { kb, exemplars, prototypes };
}

function classify(bank: Bank, query: Float32Array) {
  const scores = new Map<string, number>();
  for (const [label, prototypes] of bank.prototypes)
    scores.set(label, scoreLabel(query, prototypes, bank.kb.prototype_scoring, similarity).score);
  return summarise(bank.kb, scores);
}

const groupOf = (kb: KnowledgeBaseDocument, label: string | undefined, groups: readonly string[]) =>
  groups.find((g) => label !== undefined && kb.groups[g]?.includes(label));

async function main(): Promise<void> {
  const embedder = await loadEmbedder(
    defaultSessionPool(),
    path.join(BUILTIN_MODELS_DIR, args.model, 'model.onnx'),
  );
  const { calibrate } = embedder;
  if (calibrate) similarity = (a, b) => calibrate(cosine(a, b));
  const mmluKb = BUILTIN_KNOWLEDGE_BASES.get('mmlu_kb') as KnowledgeBaseDocument;
  const privacyKb = BUILTIN_KNOWLEDGE_BASES.get('privacy_kb') as KnowledgeBaseDocument;
  const mmluExemplars = loadLabelsManifest(mmluKb, configDir).labels;
  const privacyExemplars = loadLabelsManifest(privacyKb, configDir).labels;
  const exemplarTexts = [...mmluExemplars.values(), ...privacyExemplars.values()].flat();

  const alpaca = readCsv(dataDir, 'alpacaeval-prompts/alpaca_eval_instructions.csv', ['instruction']).map(
    (r) => r.instruction ?? '',
  );
  const exemplarKeys = new Set(exemplarTexts.map(normalizeForDedupe));
  const byCategory = new Map<string, string[]>();
  for (const row of readCsv(dataDir, 'mmlu-pro/mmlu_pro_test_question_category.csv', [
    'category',
    'question',
  ])) {
    const question = row.question ?? '';
    const key = normalizeForDedupe(question);
    if (key === '' || exemplarKeys.has(key) || splitOf(key) !== 'test') continue;
    const list = byCategory.get(row.category ?? '') ?? [];
    if (list.length < perCategory) list.push(question);
    byCategory.set(row.category ?? '', list);
  }
  const questions = [...byCategory].flatMap(([category, list]) => list.map((q) => ({ category, q })));
  const vectors = await embedAll(embedder, [...exemplarTexts, ...alpaca, ...questions.map((x) => x.q)]);
  const vec = (t: string) => vectors.get(t) as Float32Array;

  // Calibration: raw cosines of benign prompts to exemplars, and of exemplars to their own label.
  const benignToExemplar: number[] = [];
  const benignBest: number[] = [];
  for (const prompt of alpaca) {
    let best = 0;
    for (const e of exemplarTexts) {
      const c = cosine(vec(prompt), vec(e));
      benignToExemplar.push(c);
      best = Math.max(best, c);
    }
    benignBest.push(best);
  }
  const ownLabelBest: number[] = [];
  for (const exemplars of [...mmluExemplars.values(), ...privacyExemplars.values()])
    for (const e of exemplars)
      ownLabelBest.push(Math.max(...exemplars.filter((o) => o !== e).map((o) => cosine(vec(e), vec(o)))));
  console.log('raw cosine (built-in embedding model)');
  console.log(
    `  benign prompt × exemplar: p10 ${quantile(benignToExemplar, 0.1).toFixed(3)} median ${quantile(benignToExemplar, 0.5).toFixed(3)} p90 ${quantile(benignToExemplar, 0.9).toFixed(3)}`,
  );
  console.log(`  benign prompt, best exemplar: median ${quantile(benignBest, 0.5).toFixed(3)}`);
  console.log(
    `  exemplar, best other exemplar of its label: median ${quantile(ownLabelBest, 0.5).toFixed(3)}`,
  );
  console.log(`similarity floor used: ${floor}`);

  // mmlu_kb on held-out questions.
  const mmlu = bankOf(mmluKb, vectors);
  let best = 0;
  let passes = 0;
  let signRight = 0;
  let labelsPassing = 0;
  const perLabel = new Map<string, { n: number; best: number }>();
  for (const { category, q } of questions) {
    const result = classify(mmlu, vec(q));
    const stat = perLabel.get(category) ?? { n: 0, best: 0 };
    stat.n++;
    if (result.bestLabel === category) {
      best++;
      stat.best++;
    }
    perLabel.set(category, stat);
    if (result.matchedLabels.has(category)) passes++;
    labelsPassing += result.matchedLabels.size;
    const margin = result.metrics.get('escalate_vs_keep') ?? 0;
    const escalate = mmluKb.groups.escalate?.includes(category) ?? false;
    if (escalate ? margin > 0 : margin < 0) signRight++;
  }
  console.log(
    `mmlu_kb: ${questions.length} held-out MMLU-Pro questions (${byCategory.size} categories, ≤ ${perCategory} each)`,
  );
  console.log(`  best-label accuracy            ${pct(best, questions.length)}`);
  console.log(
    `  label accuracy (true label ≥ threshold ${mmluKb.threshold})  ${pct(passes, questions.length)}`,
  );
  console.log(
    `  labels past their threshold per question: ${(labelsPassing / questions.length).toFixed(1)} of ${mmlu.prototypes.size}`,
  );
  console.log(`  escalate_vs_keep sign accuracy ${pct(signRight, questions.length)}`);
  console.log(
    `  per category (best label): ${[...perLabel].map(([l, s]) => `${l} ${pct(s.best, s.n)}`).join(', ')}`,
  );

  // privacy_kb: leave one exemplar out at a time.
  const mainGroups = ['security_containment', 'privacy_policy', 'frontier_reasoning', 'local_standard'];
  let looBest = 0;
  let looGroup = 0;
  let looPasses = 0;
  let looN = 0;
  let privateN = 0;
  let privateOver = 0;
  const looByLabel = new Map<string, { n: number; best: number; group: number }>();
  const privateMargins: number[] = [];
  for (const [label, exemplars] of privacyExemplars) {
    for (const e of exemplars) {
      const result = classify(bankOf(privacyKb, vectors, e), vec(e));
      looN++;
      if (privacyKb.groups.private?.includes(label)) {
        privateN++;
        if ((result.metrics.get('private_vs_public') ?? 0) >= 0.55) privateOver++;
        privateMargins.push(result.metrics.get('private_vs_public') ?? 0);
      }
      const stat = looByLabel.get(label) ?? { n: 0, best: 0, group: 0 };
      stat.n++;
      if (result.bestLabel === label) stat.best++;
      if (groupOf(privacyKb, result.bestLabel, mainGroups) === groupOf(privacyKb, label, mainGroups))
        stat.group++;
      looByLabel.set(label, stat);
      if (result.bestLabel === label) looBest++;
      if (groupOf(privacyKb, result.bestLabel, mainGroups) === groupOf(privacyKb, label, mainGroups))
        looGroup++;
      if (result.matchedLabels.has(label)) looPasses++;
    }
  }
  console.log(`privacy_kb: leave-one-out over ${looN} exemplars (${privacyExemplars.size} labels)`);
  console.log(`  best-label accuracy  ${pct(looBest, looN)}`);
  console.log(
    `  per label (best label / group): ${[...looByLabel].map(([l, s]) => `${l} ${pct(s.best, s.n)} / ${pct(s.group, s.n)}`).join(', ')}`,
  );
  console.log(`  group accuracy (${mainGroups.join(' / ')})  ${pct(looGroup, looN)}`);
  console.log(`  label passes its threshold  ${pct(looPasses, looN)}`);
  console.log(`  private_vs_public ≥ 0.55 for held-out private exemplars: ${pct(privateOver, privateN)}`);
  console.log(
    `  private_vs_public of held-out private exemplars: median ${quantile(privateMargins, 0.5).toFixed(3)}, p90 ${quantile(privateMargins, 0.9).toFixed(3)}; > 0: ${pct(privateMargins.filter((m) => m > 0).length, privateN)}`,
  );

  const privacy = bankOf(privacyKb, vectors);
  const fp = { privacy_policy: 0, security_containment: 0 } as Record<string, number>;
  const fpThreshold = { privacy_policy: 0, security_containment: 0 } as Record<string, number>;
  let marginOver = 0;
  const benignMargins: number[] = [];
  for (const prompt of alpaca) {
    const result = classify(privacy, vec(prompt));
    for (const group of Object.keys(fp)) {
      if (privacyKb.groups[group]?.includes(result.bestLabel ?? '')) fp[group] = (fp[group] ?? 0) + 1;
      if (privacyKb.groups[group]?.some((l) => result.matchedLabels.has(l)))
        fpThreshold[group] = (fpThreshold[group] ?? 0) + 1;
    }
    if ((result.metrics.get('private_vs_public') ?? 0) >= 0.55) marginOver++;
    benignMargins.push(result.metrics.get('private_vs_public') ?? 0);
  }
  console.log(`privacy_kb on ${alpaca.length} benign AlpacaEval prompts (false positives)`);
  for (const group of Object.keys(fp))
    console.log(
      `  ${group}: match best ${pct(fp[group] ?? 0, alpaca.length)}, match threshold ${pct(fpThreshold[group] ?? 0, alpaca.length)}`,
    );
  console.log(
    `  private_vs_public ≥ 0.55 (the privacy recipe's override band): ${pct(marginOver, alpaca.length)}`,
  );
  console.log(
    `  private_vs_public: median ${quantile(benignMargins, 0.5).toFixed(3)}, p90 ${quantile(benignMargins, 0.9).toFixed(3)}; > 0: ${pct(benignMargins.filter((m) => m > 0).length, alpaca.length)}`,
  );
  embedder.close();
}

await main();
