// How well the request plugins' relevance measures work with the built-in embedder, on data read in place:
// - SICK test pairs: raw cosine by human relatedness (1-5) — where BUILTIN_SIMILARITY_FLOOR comes from — and the
//   share of pairs at or above the memory plugin's default threshold (0.72 calibrated) per relatedness band;
// - CLINC150 test queries (in-scope): the right intent, as a tool named after it, among 20 candidate tools
//   (19 other intents drawn with a fixed seed), ranked by calibrated similarity alone, by the `tools` plugin's score
//   and by `tool_selection`'s combined score (intent domain as category): top-1 / top-5 accuracy.
// Usage: node --import tsx bench/plugin-relevance.ts [--data ../shared/data] [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cosine } from '../src/ml/vector-math.ts';
import { pluginEmbedder } from '../src/plugins/plugin-embedder.ts';
import {
  BUILTIN_SIMILARITY_FLOOR,
  calibratedSimilarity,
  contentWords,
  toolRelevanceScore,
} from '../src/plugins/relevance.ts';
import { combinedToolScore, DEFAULT_TOOL_SCORE_WEIGHTS } from '../src/plugins/tool-selection/tool-scoring.ts';
import { parseCsvRecords } from './csv.ts';

function parseArgs(argv: readonly string[]): { data: string; json: boolean } {
  let data = '../shared/data';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') data = argv[++i] ?? data;
    else if (arg === '--json') json = true;
    else throw new Error(`unknown argument ${arg}; usage: plugin-relevance.ts [--data DIR] [--json]`);
  }
  return { data, json };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A deterministic generator (mulberry32) so every run draws the same candidates. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const model = await pluginEmbedder({}).model();

const sick = parseCsvRecords(readFileSync(join(args.data, 'sick-pairs/sick_pairs.csv'), 'utf8')).filter(
  (r) => r.split === 'test',
);
const left = await model.embed(sick.map((r) => r.sentence_a ?? ''));
const right = await model.embed(sick.map((r) => r.sentence_b ?? ''));
const bands = new Map<number, number[]>();
sick.forEach((r, i) => {
  const band = Math.min(5, Math.max(1, Math.round(Number(r.relatedness))));
  const list = bands.get(band) ?? [];
  list.push(cosine(left[i] as Float32Array, right[i] as Float32Array));
  bands.set(band, list);
});
const sickReport = [...bands.entries()]
  .sort(([a], [b]) => a - b)
  .map(([band, cosines]) => ({
    relatedness: band,
    pairs: cosines.length,
    medianCosine: Number(median(cosines).toFixed(3)),
    atMemoryThreshold: Number(
      (cosines.filter((c) => calibratedSimilarity(c) >= 0.72).length / cosines.length).toFixed(3),
    ),
  }));

const clinc = parseCsvRecords(readFileSync(join(args.data, 'clinc150/clinc150_full.csv'), 'utf8')).filter(
  (r) => r.split === 'test' && r.intent !== 'oos',
);
const domains = new Map(clinc.map((r) => [r.intent ?? '', r.domain ?? '']));
const intents = [...domains.keys()].sort();
const toolTexts = intents.map((intent) => intent.replaceAll('_', ' '));
const toolVectors = await model.embed(toolTexts);
const queryVectors = await model.embed(clinc.map((r) => r.text ?? ''));
const random = seeded(150);
const hits = { similarity: [0, 0], tools: [0, 0], toolSelection: [0, 0] };
clinc.forEach((row, q) => {
  const right = intents.indexOf(row.intent ?? '');
  const others = shuffle(
    intents.map((_, i) => i).filter((i) => i !== right),
    random,
  ).slice(0, 19);
  const candidates = shuffle([right, ...others], random);
  const queryWords = new Set(contentWords(row.text ?? ''));
  const score = (i: number) => {
    const semantic = calibratedSimilarity(
      cosine(queryVectors[q] as Float32Array, toolVectors[i] as Float32Array),
    );
    const text = toolTexts[i] ?? '';
    return {
      similarity: semantic,
      tools: toolRelevanceScore(semantic, queryWords, text),
      toolSelection: combinedToolScore(
        queryWords,
        semantic,
        { name: intents[i] ?? '', text, tags: [], category: domains.get(intents[i] ?? '') },
        DEFAULT_TOOL_SCORE_WEIGHTS,
      ),
    };
  };
  const scores = new Map(candidates.map((i) => [i, score(i)]));
  for (const key of ['similarity', 'tools', 'toolSelection'] as const) {
    // Ties keep the shuffled order: the right tool gets no advantage from them.
    const ranked = [...candidates].sort((a, b) => (scores.get(b)?.[key] ?? 0) - (scores.get(a)?.[key] ?? 0));
    const rank = ranked.indexOf(right);
    if (rank === 0) hits[key][0] = (hits[key][0] ?? 0) + 1;
    if (rank < 5) hits[key][1] = (hits[key][1] ?? 0) + 1;
  }
});
const n = clinc.length;
const clincReport = Object.fromEntries(
  Object.entries(hits).map(([key, [top1 = 0, top5 = 0]]) => [
    key,
    { top1: Number((top1 / n).toFixed(3)), top5: Number((top5 / n).toFixed(3)) },
  ]),
);
model.close();

const report = {
  floor: BUILTIN_SIMILARITY_FLOOR,
  sick: sickReport,
  clinc150: { queries: n, candidates: 20, chance: { top1: 0.05, top5: 0.25 }, ...clincReport },
};
if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else {
  process.stdout.write(`calibration floor (raw cosine → 0): ${BUILTIN_SIMILARITY_FLOOR}\n`);
  process.stdout.write('SICK test pairs: relatedness, pairs, median raw cosine, share ≥ 0.72 calibrated\n');
  for (const band of sickReport) {
    process.stdout.write(
      `  ${band.relatedness}  ${String(band.pairs).padStart(5)}  ${band.medianCosine.toFixed(3)}  ${band.atMemoryThreshold.toFixed(3)}\n`,
    );
  }
  process.stdout.write(
    `CLINC150 test (${n} queries, right tool among 20; chance 0.05 / 0.25): top-1 / top-5\n`,
  );
  for (const [key, value] of Object.entries(clincReport)) {
    process.stdout.write(`  ${key.padEnd(14)} ${value.top1.toFixed(3)} / ${value.top5.toFixed(3)}\n`);
  }
}
