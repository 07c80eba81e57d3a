// Trains the lexical similarity model: document frequencies of hashed features over everyday prompts and exam
// questions, calibration anchors from clinc150's train split, and an evaluation on sources it did not see
// (clinc150's test split, SICK sentence pairs) next to the built-in topic encoder.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadEmbedder } from '../../ml/embedding/text-embedder.ts';
import { LEXICAL_TASK, type LexicalCard, LexicalEmbedder } from '../../ml/lexical/lexical-embedder.ts';
import {
  countFeatures,
  DEFAULT_LEXICAL_FEATURIZER,
  type LexicalFeaturizer,
} from '../../ml/lexical/lexical-features.ts';
import { type CalibrationAnchor, similarityCalibration } from '../../ml/lexical/similarity-calibration.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool } from '../../ml/model-store.ts';
import { cosine } from '../../ml/vector-math.ts';
import { parseCsvRecords } from '../datasets/csv.ts';

/** idf = 1 + byte / IDF_SCALE: a byte per bucket covers idf up to ~16.9. */
const IDF_SCALE = 16;

/** Corpus files (under the data directory) and the column holding the text. Never the evaluation sources. */
const CORPUS: readonly { readonly file: string; readonly column: string }[] = [
  { file: 'alpacaeval-prompts/alpaca_eval_instructions.csv', column: 'instruction' },
  { file: 'mmlu-pro/mmlu_pro_test_question_category.csv', column: 'question' },
  { file: 'gqr-proxy/finance_banking77_test.csv', column: 'text' },
  { file: 'gqr-proxy/healthcare_genmedgpt5k.csv', column: 'text' },
  { file: 'gqr-proxy/ood_olid_test.csv', column: 'text' },
  { file: 'gqr-proxy/ood_webquestions_test.csv', column: 'text' },
  { file: 'safety-moderation/hh_rlhf_harmless_test_first_turn.csv', column: 'text' },
];

/**
 * Where on vLLM Semantic Router's similarity scale the measured quantiles land: an unrelated pair's median reads
 * 0.30 and its 99th percentile 0.65, a same-intent paraphrase's median 0.78 and its 90th percentile 0.90, so the
 * peer's usual thresholds (0.7–0.8) fire on about half of the paraphrases and on under 1 % of unrelated pairs.
 */
const TARGETS = { unrelatedMedian: 0.3, unrelatedP99: 0.65, sameMedian: 0.78, sameP90: 0.9 } as const;

export interface LexicalTrainingResult {
  readonly idf: Uint8Array;
  readonly card: Record<string, unknown>;
  readonly report: string;
}

interface Pair {
  readonly score: number;
  readonly related: boolean;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))] ?? 0;
}

function auc(pairs: readonly Pair[]): number {
  const sorted = [...pairs].sort((a, b) => a.score - b.score);
  let positives = 0;
  let inversions = 0;
  for (const pair of sorted) {
    if (pair.related) positives++;
    else inversions += positives;
  }
  const negatives = pairs.length - positives;
  return positives === 0 || negatives === 0 ? Number.NaN : 1 - inversions / (positives * negatives);
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}

async function records(dataDir: string, file: string): Promise<Record<string, string>[]> {
  return parseCsvRecords(await readFile(path.join(dataDir, file), 'utf8'));
}

interface IntentRow {
  readonly text: string;
  readonly intent: string;
}

/** 1,500 rows drawn at random (with replacement, seeded). */
function sampleRows(rows: readonly IntentRow[], seed: number): IntentRow[] {
  const random = seededRandom(seed);
  return Array.from({ length: 1500 }, () => rows[Math.floor(random() * rows.length)] as IntentRow);
}

/** Pairs of nearby rows of a random sample: the same intent is a paraphrase, another intent is unrelated. */
function intentPairs(sample: readonly IntentRow[], similarity: (a: number, b: number) => number): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i < sample.length; i++)
    for (let j = i + 1; j < Math.min(sample.length, i + 80); j++)
      pairs.push({
        score: similarity(i, j),
        related: (sample[i] as { intent: string }).intent === (sample[j] as { intent: string }).intent,
      });
  return pairs;
}

async function clincRows(dataDir: string, split: string): Promise<{ text: string; intent: string }[]> {
  return (await records(dataDir, 'clinc150/clinc150_full.csv'))
    .filter((r) => r.split === split && r.intent !== 'oos' && (r.text ?? '') !== '')
    .map((r) => ({ text: r.text as string, intent: r.intent as string }));
}

function anchorsFrom(pairs: readonly Pair[]): CalibrationAnchor[] {
  const unrelated = pairs.filter((p) => !p.related).map((p) => p.score);
  const same = pairs.filter((p) => p.related).map((p) => p.score);
  const raw = [quantile(unrelated, 0.5), quantile(unrelated, 0.99), quantile(same, 0.5), quantile(same, 0.9)];
  const calibrated = [TARGETS.unrelatedMedian, TARGETS.unrelatedP99, TARGETS.sameMedian, TARGETS.sameP90];
  const anchors: CalibrationAnchor[] = [];
  raw.forEach((value, i) => {
    const previous = anchors.at(-1)?.raw ?? 0;
    if (value > previous && value < 1)
      anchors.push({ raw: Number(value.toFixed(4)), calibrated: calibrated[i] as number });
  });
  return anchors;
}

export async function trainLexicalModel(options: {
  readonly dataDir: string;
  readonly seed: number;
  readonly featurizer?: LexicalFeaturizer;
}): Promise<LexicalTrainingResult> {
  const featurizer = options.featurizer ?? DEFAULT_LEXICAL_FEATURIZER;
  const documentFrequency = new Uint32Array(featurizer.buckets);
  let documents = 0;
  for (const { file, column } of CORPUS) {
    for (const row of await records(options.dataDir, file)) {
      const text = row[column];
      if (!text) continue;
      documents++;
      for (const feature of countFeatures(text, featurizer).keys())
        documentFrequency[feature] = (documentFrequency[feature] as number) + 1;
    }
  }
  const idf = new Uint8Array(featurizer.buckets);
  for (let i = 0; i < idf.length; i++) {
    const value = Math.log((documents + 1) / ((documentFrequency[i] as number) + 1)) + 1;
    idf[i] = Math.min(255, Math.max(0, Math.round((value - 1) * IDF_SCALE)));
  }
  const draft: LexicalCard = {
    task: LEXICAL_TASK,
    featurizer,
    idfScale: IDF_SCALE,
    calibration: { anchors: [] },
  };
  const raw = LexicalEmbedder.fromParts(draft, idf);

  const fitSample = sampleRows(await clincRows(options.dataDir, 'train'), options.seed);
  const fitVectors = fitSample.map((r) => raw.embedOne(r.text));
  const fitPairs = intentPairs(fitSample, (i, j) =>
    cosine(fitVectors[i] as Float32Array, fitVectors[j] as Float32Array),
  );
  const anchors = anchorsFrom(fitPairs);
  const unrelatedP95 = quantile(
    fitPairs.filter((p) => !p.related).map((p) => p.score),
    0.95,
  );
  const noiseFloor = Number(similarityCalibration(anchors)(unrelatedP95).toFixed(4));
  const card: LexicalCard = { ...draft, calibration: { anchors, noiseFloor } };
  const model = LexicalEmbedder.fromParts(card, idf);

  const lines = [
    `corpus: ${documents} documents; anchors ${JSON.stringify(anchors)}; noise floor ${noiseFloor}`,
  ];
  const testRows = sampleRows(await clincRows(options.dataDir, 'test'), options.seed + 1);
  const encoder = await loadEmbedder(
    defaultSessionPool(),
    path.join(BUILTIN_MODELS_DIR, 'embedding', 'model.onnx'),
  );
  try {
    const lexical = testRows.map((r) => model.embedOne(r.text));
    const topic = await encoder.embed(testRows.map((r) => r.text));
    const lexicalPairs = intentPairs(testRows, (i, j) =>
      model.calibrate(cosine(lexical[i] as Float32Array, lexical[j] as Float32Array)),
    );
    const topicPairs = intentPairs(testRows, (i, j) =>
      cosine(topic[i] as Float32Array, topic[j] as Float32Array),
    );
    const at = (pairs: readonly Pair[], threshold: number, related: boolean) => {
      const chosen = pairs.filter((p) => p.related === related);
      return chosen.filter((p) => p.score >= threshold).length / chosen.length;
    };
    lines.push(
      `clinc150 test intent pairs (${lexicalPairs.filter((p) => p.related).length} same-intent, ${lexicalPairs.filter((p) => !p.related).length} other): ` +
        `AUC lexical ${auc(lexicalPairs).toFixed(3)}, built-in topic encoder ${auc(topicPairs).toFixed(3)}`,
    );
    for (const threshold of [0.6, 0.7, 0.75, 0.8])
      lines.push(
        `  calibrated ≥ ${threshold}: same-intent ${(100 * at(lexicalPairs, threshold, true)).toFixed(1)} %, other intents ${(100 * at(lexicalPairs, threshold, false)).toFixed(2)} %`,
      );
    const sick = (await records(options.dataDir, 'sick-pairs/sick_pairs.csv'))
      .map((r) => ({ a: r.sentence_a ?? '', b: r.sentence_b ?? '', relatedness: Number(r.relatedness) }))
      .filter((r) => r.relatedness >= 4.5 || r.relatedness <= 3);
    const sickPairs = async (embed: (texts: string[]) => Promise<Float32Array[]>) => {
      const a = await embed(sick.map((r) => r.a));
      const b = await embed(sick.map((r) => r.b));
      return sick.map((r, i) => ({
        score: cosine(a[i] as Float32Array, b[i] as Float32Array),
        related: r.relatedness >= 4.5,
      }));
    };
    lines.push(
      `SICK pairs (relatedness ≥ 4.5 vs ≤ 3, ${sick.length}): AUC lexical ${auc(await sickPairs((t) => model.embed(t))).toFixed(3)}, built-in topic encoder ${auc(await sickPairs((t) => encoder.embed(t))).toFixed(3)}`,
    );
  } finally {
    encoder.close();
  }
  return {
    idf,
    card: { name: 'lexical', ...card, trainedOn: CORPUS.map((c) => c.file) },
    report: lines.join('\n'),
  };
}
