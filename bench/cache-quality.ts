// Measures the response cache's semantic lookup (docs/cache.md):
//  - hit rate and false-hit rate at several similarity thresholds, on the calibrated scale of the lexical model the
//    cache compares last user turns with: SICK pairs (relatedness ≥ 4.5 true paraphrases, ≤ 3 false) and CLINC150
//    test pairs (same intent true, different intent false, seeded samples);
//  - the threshold whose false-hit rate stays ≤ 1 % on both (the default's source);
//  - lookup CPU per request of the in-memory store holding 10k and 100k entries in one bucket (the worst case: one
//    scope, one system prompt), next to no cache;
//  - with --redis: an exact read in Redis, and the cross-replica semantic lookup (a full bucket's shared vectors
//    read and scored, then the winner's entry read) next to the same lookup in memory, in the same run.
// Usage: node --import tsx bench/cache-quality.ts [--data ../shared/data] [--pairs 5000] [--lookups 300]
//        [--redis host:port] [--shared-only]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEmbedder, type TextEmbeddingModel } from '../src/ml/embedding/text-embedder.ts';
import { BUILTIN_MODELS_DIR, defaultSessionPool, MODEL_FILE_NAME } from '../src/ml/model-store.ts';
import {
  DEFAULT_SIMILARITY_THRESHOLD,
  responseCacheConfigSchema,
} from '../src/plugins/response-cache/cache-config.ts';
import { cacheKeyOf } from '../src/plugins/response-cache/cache-key.ts';
import { rawThreshold } from '../src/plugins/response-cache/cache-similarity.ts';
import { MemoryCacheStore } from '../src/plugins/response-cache/memory-cache-store.ts';
import { readSharedEntry, writeSharedEntry } from '../src/plugins/response-cache/shared-entries.ts';
import { nearestSharedVector, writeSharedVector } from '../src/plugins/response-cache/shared-vectors.ts';
import { sparseBytes, sparseDot, toSparse } from '../src/plugins/response-cache/sparse-vector.ts';
import { decodeJsonBody, parseOpenAIRequest } from '../src/request/openai-request.ts';
import { buildRequestContext } from '../src/request/request-context.ts';
import { seededRandom } from '../src/seeded-random.ts';
import { RedisStore } from '../src/state/redis-store.ts';
import { parseCsvRecords } from './csv.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    pairs: { type: 'string', default: '5000' },
    lookups: { type: 'string', default: '300' },
    /** host:port of a redis-server: also measure the shared (state_store) exact lookup against it. */
    redis: { type: 'string' },
    /** Only the --redis lookups (skips the quality tables and the 10k/100k in-memory figures). */
    'shared-only': { type: 'boolean', default: false },
  },
});
const DATA = path.resolve(args.data);
const PAIRS = Number(args.pairs);
const LOOKUPS = Number(args.lookups);
const THRESHOLDS = [0.8, 0.85, 0.9, 0.92, 0.94, 0.96, 0.97, 0.98, 0.99, 0.995];
const MAX_FALSE_HITS = 0.01;

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
}

function readRecords(relative: string): Record<string, string>[] {
  return parseCsvRecords(readFileSync(path.join(DATA, relative), 'utf8'));
}

function sickPairs(): Pair[] {
  const pairs: Pair[] = [];
  for (const row of readRecords('sick-pairs/sick_pairs.csv')) {
    const relatedness = Number(row.relatedness);
    const a = row.sentence_a ?? '';
    const b = row.sentence_b ?? '';
    if (relatedness >= 4.5) pairs.push({ a, b, same: true });
    else if (relatedness <= 3) pairs.push({ a, b, same: false });
  }
  return pairs;
}

function clincPairs(count: number): Pair[] {
  const byIntent = new Map<string, string[]>();
  for (const row of readRecords('clinc150/clinc150_full.csv')) {
    if (row.split !== 'test' || !row.intent || row.intent === 'oos') continue;
    const texts = byIntent.get(row.intent) ?? [];
    texts.push(row.text ?? '');
    byIntent.set(row.intent, texts);
  }
  const intents = [...byIntent.values()].filter((texts) => texts.length >= 2);
  const random = seededRandom(14);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const texts = pick(intents);
    const a = pick(texts);
    const b = pick(texts);
    if (a !== b) pairs.push({ a, b, same: true });
  }
  while (pairs.length < 2 * count) {
    const first = pick(intents);
    const second = pick(intents);
    if (first !== second) pairs.push({ a: pick(first), b: pick(second), same: false });
  }
  return pairs;
}

async function similarities(model: TextEmbeddingModel, pairs: readonly Pair[]): Promise<number[]> {
  const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const vectors = new Map<string, Float32Array>();
  const embedded = await model.embed(texts);
  texts.forEach((text, i) => {
    vectors.set(text, embedded[i] as Float32Array);
  });
  return pairs.map((p) => {
    const raw = sparseDot(vectors.get(p.a) as Float32Array, toSparse(vectors.get(p.b) as Float32Array));
    return model.calibrate ? model.calibrate(raw) : raw;
  });
}

interface Rates {
  readonly hit: number;
  readonly falseHit: number;
}

function ratesAt(pairs: readonly Pair[], scores: readonly number[], threshold: number): Rates {
  let positives = 0;
  let hits = 0;
  let negatives = 0;
  let falseHits = 0;
  pairs.forEach((pair, i) => {
    const hit = (scores[i] as number) >= threshold;
    if (pair.same) {
      positives++;
      if (hit) hits++;
    } else {
      negatives++;
      if (hit) falseHits++;
    }
  });
  return { hit: hits / positives, falseHit: falseHits / negatives };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`.padStart(8);

function chatContext(text: string) {
  const bytes = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }));
  const request = parseOpenAIRequest(decodeJsonBody(bytes), '/v1/chat/completions');
  return buildRequestContext({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: new Map(),
    request,
    identity: undefined,
  });
}

/** CPU µs per request of the lookup path (key, embedding, exact get, nearest) with `size` entries in one bucket. */
async function lookupCost(
  model: TextEmbeddingModel,
  corpus: readonly string[],
  size: number,
): Promise<{ cpuUs: number; p99Us: number; storeMiB: number }> {
  const config = responseCacheConfigSchema.parse({});
  const store = new MemoryCacheStore({ maxEntries: size, maxBytes: 4 * 1024 * 1024 * 1024 });
  const bucket = cacheKeyOf(chatContext('x'), 'bench', config)?.bucket ?? '';
  const answer = {
    model: 'm',
    content: 'a cached answer of ordinary length '.repeat(8),
    finishReason: 'stop',
    usage: undefined,
  };
  for (let i = 0; i < size; i++) {
    const text = `${corpus[i % corpus.length]} ${Math.floor(i / corpus.length) || ''}`.trim();
    const [dense] = await model.embed([text]);
    const vector = toSparse(dense as Float32Array);
    store.put(
      {
        exact: `k${i}`,
        bucket,
        scope: 'global',
        answer,
        vector,
        bytes: 600 + sparseBytes(vector) + 4 * vector.positions.length,
        storedAt: 0,
        expiresAt: Number.MAX_SAFE_INTEGER,
      },
      0,
    );
  }
  const queries = corpus.slice(0, LOOKUPS).map((t) => `${t} please`);
  const minRaw = rawThreshold(model, DEFAULT_SIMILARITY_THRESHOLD);
  // Warm up the JIT on other texts first: the figures are of a router that has been serving.
  for (const text of corpus.slice(-50)) {
    const [dense] = await model.embed([text]);
    store.nearest(bucket, dense as Float32Array, minRaw, 1);
  }
  const wallMs: number[] = [];
  const start = process.cpuUsage();
  for (const query of queries) {
    const began = performance.now();
    const key = cacheKeyOf(chatContext(query), 'bench', config);
    if (!key) continue;
    store.getExact(key.exact, 1);
    const [dense] = await model.embed([key.queryText ?? '']);
    store.nearest(key.bucket, dense as Float32Array, minRaw, 1);
    wallMs.push(performance.now() - began);
  }
  const used = process.cpuUsage(start);
  wallMs.sort((x, y) => x - y);
  const p99Us = 1000 * (wallMs[Math.min(wallMs.length - 1, Math.floor(wallMs.length * 0.99))] ?? 0);
  return {
    cpuUs: (used.user + used.system) / queries.length,
    p99Us,
    storeMiB: store.stats.bytes / 1024 / 1024,
  };
}

/** The same requests parsed and keyed but never looked up: what a decision without the cache pays. */
function baselineCpu(corpus: readonly string[]): number {
  const queries = corpus.slice(0, LOOKUPS).map((t) => `${t} please`);
  const start = process.cpuUsage();
  for (const query of queries) chatContext(query);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / queries.length;
}

interface LookupFigures {
  readonly cpuUs: number;
  readonly p99Us: number;
  readonly hits: number;
}

/** Runs `lookup` for each query: CPU per lookup, wall p99, hits. */
async function timeLookups(
  queries: readonly string[],
  lookup: (query: string) => Promise<boolean>,
): Promise<LookupFigures> {
  const wallMs: number[] = [];
  let hits = 0;
  const start = process.cpuUsage();
  for (const query of queries) {
    const began = performance.now();
    if (await lookup(query)) hits++;
    wallMs.push(performance.now() - began);
  }
  const used = process.cpuUsage(start);
  wallMs.sort((x, y) => x - y);
  const p99Us = 1000 * (wallMs[Math.min(wallMs.length - 1, Math.floor(wallMs.length * 0.99))] ?? 0);
  return { cpuUs: (used.user + used.system) / queries.length, p99Us, hits };
}

/**
 * The semantic lookup across replicas: a bucket holding `size` answers (the default max_shared_vectors), stored by
 * another replica. In memory: embed + index walk. Shared: embed + the (empty) local index + the bucket's vector
 * list read and scored (one round trip) + on a hit the winner's entry read (a second). Half the queries are
 * rewordings of stored prompts (case and punctuation: hits), half unseen prompts (misses).
 */
async function sharedSemanticCost(
  model: TextEmbeddingModel,
  corpus: readonly string[],
  address: string,
  size = 512,
): Promise<{ memory: LookupFigures; shared: LookupFigures; errors: number }> {
  const [host, port] = address.split(':');
  const redis = new RedisStore({
    host: host ?? '127.0.0.1',
    port: Number(port),
    username: undefined,
    password: undefined,
    database: 0,
    keyPrefix: `cache-bench-semantic-${process.pid}:`,
    connectTimeoutMs: 2000,
    timeoutMs: 2000,
  });
  await redis.ready();
  let errors = 0;
  const onError = () => {
    errors++;
  };
  const config = responseCacheConfigSchema.parse({});
  const key = cacheKeyOf(chatContext('x'), 'bench', config);
  const bucket = key?.bucket ?? '';
  const target = { scope: 'global', bucket };
  const answer = {
    model: 'm',
    content: 'a cached answer of ordinary length '.repeat(8),
    finishReason: 'stop',
    usage: undefined,
  };
  const memory = new MemoryCacheStore({ maxEntries: size, maxBytes: 1024 * 1024 * 1024 });
  const stored = corpus.slice(0, size);
  const lifetime = { storedAt: 0, expiresAt: Date.now() + 600_000 };
  for (let i = 0; i < stored.length; i++) {
    const [dense] = await model.embed([stored[i] as string]);
    const vector = toSparse(dense as Float32Array);
    const exact = `k${i}`;
    memory.put({ exact, bucket, scope: 'global', answer, vector, bytes: 600, ...lifetime }, 0);
    await writeSharedEntry(redis, exact, { scope: 'global', answer, ...lifetime }, onError);
    await writeSharedVector(redis, { ...target, exact }, vector, lifetime, size, onError);
  }
  const reworded = (text: string) => `${text.toLowerCase().replace(/[.?!]+$/, '')}?`;
  const half = Math.floor(LOOKUPS / 2);
  const queries = [...stored.slice(0, half).map(reworded), ...corpus.slice(size, size + LOOKUPS - half)];
  const minRaw = rawThreshold(model, DEFAULT_SIMILARITY_THRESHOLD);
  const empty = new MemoryCacheStore({ maxEntries: size, maxBytes: 1024 * 1024 * 1024 });
  const now = Date.now();
  const embed = async (query: string) => (await model.embed([query]))[0] as Float32Array;
  // Warm up both paths on other texts first.
  for (const text of corpus.slice(-20)) {
    const dense = await embed(text);
    memory.nearest(bucket, dense, minRaw, now);
    await nearestSharedVector(redis, target, dense, minRaw, now, onError);
  }
  const inMemory = await timeLookups(queries, async (query) => {
    const dense = await embed(query);
    // The index may return an entry that only might reach the threshold: the plugin compares, so does this.
    return (memory.nearest(bucket, dense, minRaw, now)?.raw ?? -1) >= minRaw;
  });
  const shared = await timeLookups(queries, async (query) => {
    const dense = await embed(query);
    if ((empty.nearest(bucket, dense, minRaw, now)?.raw ?? -1) >= minRaw) return true;
    const hit = await nearestSharedVector(redis, target, dense, minRaw, now, onError);
    return (
      hit !== undefined && (await readSharedEntry(redis, 'global', hit.exact, now, onError)) !== undefined
    );
  });
  await redis.deleteByPrefix('');
  await redis.close();
  return { memory: inMemory, shared, errors };
}

/** CPU and wall p99 of one exact lookup in Redis (a hit, then a miss), as a replica pays on a local exact miss. */
async function redisLookupCost(address: string): Promise<{ cpuUs: number; p99Us: number; errors: number }> {
  const [host, port] = address.split(':');
  const store = new RedisStore({
    host: host ?? '127.0.0.1',
    port: Number(port),
    username: undefined,
    password: undefined,
    database: 0,
    keyPrefix: 'cache-bench:',
    connectTimeoutMs: 2000,
    timeoutMs: 2000,
  });
  await store.ready();
  let errors = 0;
  const onError = () => {
    errors++;
  };
  const answer = {
    model: 'm',
    content: 'a cached answer of ordinary length '.repeat(8),
    finishReason: 'stop',
    usage: undefined,
  };
  for (let i = 0; i < LOOKUPS; i++)
    await writeSharedEntry(
      store,
      `k${i}`,
      { scope: 'global', answer, storedAt: 0, expiresAt: 600_000 },
      onError,
    );
  const wallMs: number[] = [];
  const start = process.cpuUsage();
  for (let i = 0; i < LOOKUPS; i++) {
    const began = performance.now();
    await readSharedEntry(store, 'global', `k${i}`, 1, onError);
    await readSharedEntry(store, 'global', `missing${i}`, 1, onError);
    wallMs.push(performance.now() - began);
  }
  const used = process.cpuUsage(start);
  await store.close();
  wallMs.sort((x, y) => x - y);
  const p99Us = 1000 * (wallMs[Math.min(wallMs.length - 1, Math.floor(wallMs.length * 0.99))] ?? 0);
  return { cpuUs: (used.user + used.system) / LOOKUPS, p99Us, errors };
}

async function main(): Promise<void> {
  const model = await loadEmbedder(
    defaultSessionPool(),
    path.join(BUILTIN_MODELS_DIR, 'lexical', MODEL_FILE_NAME),
  );
  if (args['shared-only']) {
    await printShared(model, [...new Set(clincPairs(PAIRS).flatMap((p) => [p.a, p.b]))]);
    return;
  }
  const sets = [
    { name: 'sick', pairs: sickPairs() },
    { name: 'clinc150', pairs: clincPairs(PAIRS) },
  ];
  const scored = [];
  for (const set of sets) {
    const scores = await similarities(model, set.pairs);
    const positives = set.pairs.filter((p) => p.same).length;
    console.log(`${set.name}: ${positives} true pairs, ${set.pairs.length - positives} false pairs`);
    scored.push({ ...set, scores });
  }
  console.log(`\nthreshold  ${scored.map((s) => `${s.name} hit / false hit`.padStart(28)).join('')}`);
  let chosen: number | undefined;
  for (const threshold of THRESHOLDS) {
    const rates = scored.map((s) => ratesAt(s.pairs, s.scores, threshold));
    if (chosen === undefined && rates.every((r) => r.falseHit <= MAX_FALSE_HITS)) chosen = threshold;
    console.log(
      `${threshold.toFixed(3).padEnd(11)}${rates.map((r) => `${pct(r.hit)} / ${pct(r.falseHit)}`.padStart(28)).join('')}`,
    );
  }
  console.log(
    `\nlowest threshold with false hits ≤ ${pct(MAX_FALSE_HITS).trim()} on both: ${chosen ?? 'none'}`,
  );

  const corpus = [...new Set(scored.flatMap((s) => s.pairs.flatMap((p) => [p.a, p.b])))];
  const none = baselineCpu(corpus);
  console.log(
    `\nlookup CPU per request (${LOOKUPS} lookups, one bucket, threshold ${DEFAULT_SIMILARITY_THRESHOLD}):`,
  );
  console.log(`  no cache (parse only)   ${none.toFixed(0).padStart(7)} µs`);
  for (const size of [10_000, 100_000]) {
    const { cpuUs, p99Us, storeMiB } = await lookupCost(model, corpus, size);
    console.log(
      `  ${String(size).padStart(6)} entries in memory ${cpuUs.toFixed(0).padStart(7)} µs CPU, p99 ${p99Us.toFixed(0)} µs wall  (store ${storeMiB.toFixed(0)} MiB)`,
    );
  }
  await printShared(model, corpus);
}

async function printShared(model: TextEmbeddingModel, corpus: readonly string[]): Promise<void> {
  if (!args.redis) return;
  const { cpuUs, p99Us, errors } = await redisLookupCost(args.redis);
  console.log(
    `  redis exact get (hit + miss) ${cpuUs.toFixed(0).padStart(5)} µs CPU, p99 ${p99Us.toFixed(0)} µs wall, ${errors} errors`,
  );
  const semantic = await sharedSemanticCost(model, corpus, args.redis);
  console.log(
    `\nsemantic lookup, one bucket of 512 answers (${LOOKUPS} lookups, half rewordings of stored prompts):`,
  );
  for (const [name, figures] of [
    ['in memory (this replica stored them)', semantic.memory],
    ['shared (another replica stored them)', semantic.shared],
  ] as const)
    console.log(
      `  ${name.padEnd(38)} ${figures.cpuUs.toFixed(0).padStart(6)} µs CPU, p99 ${figures.p99Us.toFixed(0)} µs wall, ${figures.hits} hits`,
    );
  console.log(`  store errors: ${semantic.errors}`);
}

await main();
