// Cross-source figures of the jailbreak model (models/jailbreak/README.md, "Cross-source evaluation"):
//   node --import tsx bench/jailbreak-cross-source.ts [--model models/jailbreak] [--data ../shared/data]
//       [--leave-out]
// scores the committed model.onnx on crossSourceSets() (and per language on the held-out lingua sentences) at
// its card threshold; --leave-out also retrains with the task defaults once per unsafe source family left out
// of training (the card's hyper-parameters, seed and threshold rule) and reports the recall on that family (all its
// rows) and the fire rate on alpacaeval prompts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxSessionPool } from '../src/ml/onnx-session-pool.ts';
import { WideMlpClassifier } from '../src/ml/wide-mlp/classifier-runtime.ts';
import { type FeaturizerConfig, featurize } from '../src/ml/wide-mlp/features.ts';
import type { ModelCard } from '../src/training/classifier/model-card.ts';
import { chooseThreshold } from '../src/training/classifier/thresholds.ts';
import { readCsv } from '../src/training/datasets/build.ts';
import { meetsTarget } from '../src/training/datasets/cross-source.ts';
import {
  asDetectionRows,
  JAILBREAK_LABELS,
  loadJailbreakDataset,
  unsafeProbability,
} from '../src/training/datasets/jailbreak.ts';
import { crossSourceSets, linguaHeldOut } from '../src/training/datasets/jailbreak-cross-source.ts';
import { falsePositiveCap } from '../src/training/datasets/jailbreak-threshold.ts';
import { normalizeForDedupe } from '../src/training/datasets/split.ts';
import { fitTemperature } from '../src/training/trainer/calibration.ts';
import { forwardLogits, softmax, trainWideMlp } from '../src/training/trainer/wide-mlp.ts';

type Scorer = (texts: readonly string[]) => Promise<number[]>;

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function flaggedShare(scores: readonly number[], threshold: number): number {
  return scores.filter((s) => s >= threshold).length / Math.max(1, scores.length);
}

async function onnxScorer(pool: OnnxSessionPool, file: string): Promise<Scorer> {
  const classifier = await WideMlpClassifier.load(pool, file);
  return async (texts) => {
    const out: number[] = [];
    for (let i = 0; i < texts.length; i += 256) {
      const batch = await classifier.classify(texts.slice(i, i + 256));
      for (const c of batch) out.push(unsafeProbability(c.probabilities));
    }
    return out;
  };
}

function readCard(modelDir: string): ModelCard & { readonly threshold: number } {
  return JSON.parse(readFileSync(path.join(modelDir, 'card.json'), 'utf8')) as ModelCard & {
    threshold: number;
  };
}

async function committedFigures(dataDir: string, modelDir: string): Promise<void> {
  const card = readCard(modelDir);
  const pool = new OnnxSessionPool();
  try {
    const score = await onnxScorer(pool, path.resolve(modelDir, 'model.onnx'));
    console.log(`| set | metric | rows | value | target | met |\n|---|---|---:|---:|---:|---|`);
    for (const set of crossSourceSets(dataDir)) {
      const value = flaggedShare(await score(set.rows.map((r) => r.text)), card.threshold);
      const target =
        set.target === undefined ? '—' : `${set.metric === 'fire_rate' ? '≤' : '≥'} ${pct(set.target)}`;
      const met = set.target === undefined ? '—' : meetsTarget(set, value) ? 'yes' : '**no**';
      console.log(
        `| ${set.name} | ${set.metric} | ${set.rows.length} | ${pct(value)} | ${target} | ${met} |`,
      );
    }
    const dataset = loadJailbreakDataset(dataDir);
    await categoryFigures(pool, path.resolve(modelDir, 'model.onnx'), dataset.test);
    const seen = new Set([...dataset.train, ...dataset.validation].map((r) => normalizeForDedupe(r.text)));
    const byLang = new Map<string, string[]>();
    for (const { lang, text } of linguaHeldOut(dataDir, seen))
      byLang.set(lang, [...(byLang.get(lang) ?? []), text]);
    const rates: { lang: string; rate: number; n: number }[] = [];
    for (const [lang, texts] of byLang) {
      rates.push({ lang, rate: flaggedShare(await score(texts), card.threshold), n: texts.length });
    }
    rates.sort((a, b) => b.rate - a.rate || (a.lang < b.lang ? -1 : 1));
    console.log(
      `\nlingua fire rate per language (worst first): ${rates.map((r) => `${r.lang} ${pct(r.rate)} (${r.n})`).join(', ')}`,
    );
  } finally {
    await pool.close();
  }
}

/** Of the held-out unsafe rows, how many get their own category as the likeliest unsafe label. */
async function categoryFigures(
  pool: OnnxSessionPool,
  file: string,
  test: readonly { readonly text: string; readonly label: number }[],
): Promise<void> {
  const classifier = await WideMlpClassifier.load(pool, file);
  const unsafe = test.filter((r) => r.label > 0);
  const right = new Map<number, number>();
  const total = new Map<number, number>();
  const results = await classifier.classify(unsafe.map((r) => r.text));
  results.forEach((result, i) => {
    const label = unsafe[i]?.label ?? 0;
    let best = 1;
    for (let k = 2; k < result.probabilities.length; k++) {
      if ((result.probabilities[k] ?? 0) > (result.probabilities[best] ?? 0)) best = k;
    }
    total.set(label, (total.get(label) ?? 0) + 1);
    if (best === label) right.set(label, (right.get(label) ?? 0) + 1);
  });
  const cells = JAILBREAK_LABELS.slice(1).map((name, k) => {
    const n = total.get(k + 1) ?? 0;
    return `${name} ${right.get(k + 1) ?? 0}/${n}`;
  });
  const all = [...right.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\ncategory right among held-out unsafe rows (likeliest unsafe label): ${pct(all / Math.max(1, unsafe.length))} of ${unsafe.length}; ${cells.join(', ')}`,
  );
  await classifier.release();
}

/** Unsafe source families left out one at a time. */
const FAMILIES: Readonly<Record<string, readonly string[]>> = {
  'jbb (jailbreak prompts + direct goals)': ['jbb-jailbreak', 'jbb-goal'],
  'gptfuzz templates': ['gptfuzz-template'],
  'deepset injections': ['deepset-injection'],
  'openai moderation (flagged)': ['moderation-unsafe'],
  'unsafe-request templates (this project)': ['templated-unsafe'],
  'hh-rlhf red-team openers (lexicon-labelled)': ['hh-red-team-unsafe'],
};

async function leaveOneOut(dataDir: string, modelDir: string): Promise<void> {
  const card = readCard(modelDir);
  const hyper = card.hyperParameters;
  const featurizer: FeaturizerConfig = card.featurizer;
  const full = loadJailbreakDataset(dataDir);
  const all = [...full.train, ...full.validation, ...full.test];
  const alpaca = readCsv(dataDir, 'alpacaeval-prompts/alpaca_eval_instructions.csv', ['instruction']).map(
    (r) => r.instruction ?? '',
  );
  console.log(
    '\n| left out of training | rows | recall on it | alpacaeval fire rate | threshold |\n|---|---:|---:|---:|---:|',
  );
  for (const [family, sources] of Object.entries(FAMILIES)) {
    const dataset = loadJailbreakDataset(dataDir, { excludeSources: sources });
    const examples = (rows: typeof dataset.train) =>
      rows.map((r) => ({ features: featurize(r.text, featurizer), label: r.label }));
    const validation = examples(dataset.validation);
    const { model } = trainWideMlp(
      examples(dataset.train),
      { buckets: hyper.buckets, classes: JAILBREAK_LABELS.length },
      { ...hyper, seed: card.seed, validation },
    );
    const logits = validation.map((ex) => forwardLogits(model, ex.features));
    const { temperature } = fitTemperature(
      logits,
      validation.map((ex) => ex.label),
    );
    const scoreOf = (text: string) =>
      unsafeProbability(softmax(forwardLogits(model, featurize(text, featurizer)), temperature));
    const validationScores = logits.map((l) => unsafeProbability(softmax(l, temperature)));
    const threshold = Math.max(
      chooseThreshold(
        validationScores,
        asDetectionRows(dataset.validation),
        card.detection?.targetRecall ?? 0.95,
      ),
      falsePositiveCap(validationScores, dataset.validation),
    );
    const held = all.filter((r) => sources.includes(r.source));
    const recall = flaggedShare(
      held.map((r) => scoreOf(r.text)),
      threshold,
    );
    const fire = flaggedShare(alpaca.map(scoreOf), threshold);
    console.log(`| ${family} | ${held.length} | ${pct(recall)} | ${pct(fire)} | ${threshold.toFixed(3)} |`);
  }
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/jailbreak' },
    data: { type: 'string', default: '../shared/data' },
    'leave-out': { type: 'boolean', default: false },
  },
});
const dataDir = path.resolve(values.data);
await committedFigures(dataDir, values.model);
if (values['leave-out']) await leaveOneOut(dataDir, values.model);
