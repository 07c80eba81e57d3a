// Calibration of the `reasks` family's turn similarity: how often a pair of user turns reaches a threshold when it
// is a re-ask (same CLINC150 intent; SICK relatedness ≥ 4.5) and when it is not (another intent of the same CLINC150
// domain; SICK relatedness ≤ 3), next to the built-in embedding model's cosine on the same pairs.
// Usage: node --import tsx bench/reask-eval.ts [--data ../shared/data] [--pairs 1500] [--no-embedding]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEmbedder } from '../src/ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool } from '../src/ml/model-store.ts';
import { cosine } from '../src/ml/vector-math.ts';
import { seededRandom } from '../src/seeded-random.ts';
import {
  calibrateSimilarity,
  RAW_AT_DEFAULT_THRESHOLD,
  trigramCosine,
  trigramCounts,
} from '../src/signals/turn-similarity.ts';
import { parseCsvRecords } from './csv.ts';

type Pair = readonly [string, string];

interface PairSet {
  readonly name: string;
  readonly repeats: readonly Pair[];
  readonly others: readonly Pair[];
}

function parseArgs(argv: readonly string[]) {
  let data = '../shared/data';
  let pairs = 1500;
  let embedding = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') data = argv[++i] ?? data;
    else if (arg === '--pairs') pairs = Number(argv[++i] ?? pairs);
    else if (arg === '--no-embedding') embedding = false;
    else
      throw new Error(
        `unknown argument ${arg}; usage: reask-eval.ts [--data DIR] [--pairs N] [--no-embedding]`,
      );
  }
  return { data, pairs, embedding };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Same-intent pairs (re-asks) and different-intent pairs of the same domain, from CLINC150's test split. */
function clincPairs(dataDir: string, count: number): PairSet {
  const rows = parseCsvRecords(readFileSync(join(dataDir, 'clinc150/clinc150_full.csv'), 'utf8')).filter(
    (r) => r.split === 'test' && r.intent !== 'oos',
  );
  const byIntent = groupBy(rows, (r) => r.intent ?? '');
  const byDomain = groupBy(rows, (r) => r.domain ?? '');
  const random = seededRandom(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const repeats: Pair[] = [];
  const others: Pair[] = [];
  while (repeats.length < count) {
    const row = pick(rows);
    const same = pick(byIntent.get(row.intent ?? '') ?? []);
    if (same.text === row.text) continue;
    const other = pick((byDomain.get(row.domain ?? '') ?? []).filter((r) => r.intent !== row.intent));
    repeats.push([row.text ?? '', same.text ?? '']);
    others.push([row.text ?? '', other.text ?? '']);
  }
  return { name: 'CLINC150 test: same intent vs other intent, same domain', repeats, others };
}

/** SICK pairs of one split: relatedness ≥ 4.5 (re-asks) vs ≤ 3. */
function sickPairs(dataDir: string, split: string): PairSet {
  const rows = parseCsvRecords(readFileSync(join(dataDir, 'sick-pairs/sick_pairs.csv'), 'utf8')).filter(
    (r) => r.split === split,
  );
  const pair = (r: Record<string, string>): Pair => [r.sentence_a ?? '', r.sentence_b ?? ''];
  return {
    name: `SICK ${split}: relatedness >= 4.5 vs <= 3`,
    repeats: rows.filter((r) => Number(r.relatedness) >= 4.5).map(pair),
    others: rows.filter((r) => Number(r.relatedness) <= 3).map(pair),
  };
}

function rateAtLeast(scores: readonly number[], threshold: number): number {
  return scores.filter((s) => s >= threshold).length / Math.max(1, scores.length);
}

/** Probability that a re-ask pair scores above a non-re-ask pair (ties count half). */
function auc(positives: readonly number[], negatives: readonly number[]): number {
  const sorted = [...negatives].sort((a, b) => a - b);
  const below = (x: number, strict: boolean) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < x || (!strict && (sorted[mid] as number) === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let wins = 0;
  for (const p of positives) wins += (below(p, true) + below(p, false)) / 2;
  return wins / Math.max(1, positives.length * sorted.length);
}

const lexical = (pairs: readonly Pair[]) =>
  pairs.map(([a, b]) => calibrateSimilarity(trigramCosine(trigramCounts(a), trigramCounts(b))));

/** The raw trigram cosine with the best Youden J (TPR − FPR) on `set`. */
function bestRawThreshold(set: PairSet): { raw: number; j: number } {
  const raw = (pairs: readonly Pair[]) =>
    pairs.map(([a, b]) => trigramCosine(trigramCounts(a), trigramCounts(b)));
  const pos = raw(set.repeats);
  const neg = raw(set.others);
  let best = { raw: 0, j: -1 };
  for (let t = 0.3; t <= 0.9001; t += 0.05) {
    const j = rateAtLeast(pos, t) - rateAtLeast(neg, t);
    if (j > best.j) best = { raw: Number(t.toFixed(2)), j };
  }
  return best;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const tuning = bestRawThreshold(sickPairs(args.data, 'train'));
  console.log(
    `calibration: raw trigram cosine ${RAW_AT_DEFAULT_THRESHOLD} reads as 0.8 ` +
      `(best Youden J on SICK train: raw ${tuning.raw}, J ${tuning.j.toFixed(3)})\n`,
  );
  const sets = [clincPairs(args.data, args.pairs), sickPairs(args.data, 'test')];
  const embedder = args.embedding
    ? await loadEmbedder(defaultSessionPool(), join(BUILTIN_MODELS_DIR, 'embedding', 'model.onnx'))
    : undefined;
  const embedded = async (pairs: readonly Pair[]) => {
    if (!embedder) return [];
    const a = await embedder.embed(pairs.map((p) => p[0]));
    const b = await embedder.embed(pairs.map((p) => p[1]));
    return pairs.map((_, i) => cosine(a[i] as Float32Array, b[i] as Float32Array));
  };
  for (const set of sets) {
    const pos = lexical(set.repeats);
    const neg = lexical(set.others);
    console.log(`${set.name} (${set.repeats.length} re-ask pairs, ${set.others.length} other pairs)`);
    console.log('  threshold  re-asks matched  others matched');
    for (const t of [0.7, 0.8, 0.9]) {
      console.log(
        `  ${t.toFixed(1)}        ${pct(rateAtLeast(pos, t)).padStart(7)}          ${pct(rateAtLeast(neg, t))}`,
      );
    }
    console.log(`  AUC trigram similarity ${auc(pos, neg).toFixed(3)}`);
    if (embedder) {
      const epos = await embedded(set.repeats);
      const eneg = await embedded(set.others);
      console.log(
        `  AUC built-in embedding cosine ${auc(epos, eneg).toFixed(3)}; at cosine 0.8: re-asks ${pct(rateAtLeast(epos, 0.8))}, others ${pct(rateAtLeast(eneg, 0.8))}`,
      );
    }
    console.log('');
  }
  embedder?.close();
}

await main();
