// CPU cost of policy rate limits, all in one run: a whole request through the stream processor (headers, body,
// routing, response headers and body with usage, end) with no limits, with three admitting limits (requests,
// tokens and concurrency per tenant, 1,000 tenants in turn), and the 429 path (every request over its limit);
// beside them the limiter alone (check + charge, settle on usage, release). Variants alternate in rounds so drift
// hits all alike. Routing is keyword-only (no ML models): what is measured is the router's own work. When a
// redis-server can be had (scripts/redis.sh), the admitting limits also run with `counters: shared` against one on
// loopback: router CPU and wall time per request (each admission is one EVAL round trip; Redis's CPU not counted).
// Shedding (`rate_limits.shedding`, no limits): the check on a pool below saturation, on a saturated pool whose
// decision is above the priority floor (the priority looked up, the request passes), and the 503 path (shed).
// Usage: node --import tsx bench/rate-limit-cost.ts [--requests 20000] [--rounds 5]
import { parseArgs } from 'node:util';
import { createRequestRouter, defaultRouterDeps, type RequestRouter } from '../src/pipeline.ts';
import { compilePolicyText } from '../src/policy/load-policy.ts';
import { PoolStateRegistry } from '../src/pools/pool-state.ts';
import { LoadShedder } from '../src/rate-limits/load-shedding.ts';
import { RateLimitCounters, RateLimiter } from '../src/rate-limits/rate-limiter.ts';
import { StreamProcessor } from '../src/server/stream-processor.ts';
import { compileStateStore, stateStoreSchema } from '../src/state/state-config.ts';
import { StoreHolder } from '../src/state/store-holder.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { RedisServer, redisSkipReason } from '../test/helpers/redis-server.ts';
import { fmt, table } from './format.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const TENANTS = 1000;

const BASE = `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: small, pools: [l4-pool] }
  - { name: big, pools: [h100-pool] }
routing:
  signals:
    keywords:
      - { name: math_terms, operator: OR, keywords: [integral, derivative] }
  decisions:
    - name: math
      rules: { type: keyword, name: math_terms }
      modelRefs: [{ model: big }]
`;

const ADMITTING = `${BASE}rate_limits:
  limits:
    - { name: tenant-requests, key: tenant, requests_per_window: 1000000000, window_seconds: 60 }
    - { name: tenant-tokens, key: tenant, tokens_per_window: 1000000000, window_seconds: 60 }
    - { name: tenant-slots, key: tenant, max_concurrent: 64 }
`;

const REFUSING = `${BASE}rate_limits:
  limits:
    - { name: tenant-requests, key: tenant, requests_per_window: 1, window_seconds: 3600 }
`;

/** The math decision (priority 0) goes to h100-pool, whose capacity is 10: `saturated` holds 10 requests there. */
const shedding = (minPriority: number) => `${BASE}rate_limits:
  shedding: { capacity: { h100-pool: 10 }, min_priority: ${minPriority} }
`;
const SATURATING_LEASES = 10;

const BODY = Buffer.from(
  JSON.stringify({
    model: 'auto',
    messages: [{ role: 'user', content: 'Explain how to compute the integral of x squared, step by step.' }],
  }),
);
const ANSWER = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'x^3/3 + C' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
  }),
);
const RESPONSE_HEADERS = () =>
  new Map([
    [':status', '200'],
    ['content-type', 'application/json'],
  ]);

async function oneRequest(router: RequestRouter, tenant: string): Promise<boolean> {
  const stream = new StreamProcessor(router, {
    maxBodyBytes: 1 << 20,
    failOpen: false,
    onUnexpectedError: () => {},
  });
  stream.onRequestHeaders(
    new Map([
      [':method', 'POST'],
      [':path', '/v1/chat/completions'],
      ['x-tenant-id', tenant],
    ]),
    false,
  );
  const routed = await stream.onRequestBody(BODY, true);
  const admitted = routed.kind === 'continue';
  if (admitted) {
    await stream.onResponseHeaders(RESPONSE_HEADERS());
    await stream.onResponseBody(ANSWER, true);
  }
  stream.release();
  return admitted;
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** CPU and wall time per request, µs. */
async function perRequest(
  router: RequestRouter,
  requests: number,
  expectAdmitted: boolean,
): Promise<{ cpu: number; wall: number }> {
  const start = cpuMicros();
  const wallStart = performance.now();
  for (let i = 0; i < requests; i++) {
    const admitted = await oneRequest(router, `tenant-${i % TENANTS}`);
    if (admitted !== expectAdmitted)
      throw new Error(`request ${i}: admitted=${admitted}, expected ${expectAdmitted}`);
  }
  return { cpu: (cpuMicros() - start) / requests, wall: ((performance.now() - wallStart) * 1000) / requests };
}

/** The limiter alone: admit (check + charge), settle on usage, release; three limits, 1,000 tenants. */
function limiterAlone(limiter: RateLimiter, requests: number): number {
  const headers = Array.from({ length: TENANTS }, (_, i) => new Map([['x-tenant-id', `tenant-${i}`]]));
  const start = cpuMicros();
  for (let i = 0; i < requests; i++) {
    const ticket = limiter.admit('before_routing', {
      headers: headers[i % TENANTS] as Map<string, string>,
      identity: undefined,
      promptTokens: 20,
    });
    if (ticket instanceof Promise) throw new Error('local counters admit synchronously');
    ticket.settle(28);
    ticket.release();
  }
  return (cpuMicros() - start) / requests;
}

/** The shedder alone on a saturated pool whose decision passes: pool view, load, priority lookup. */
function shedderAlone(requests: number): number {
  const pools = new PoolStateRegistry();
  for (let i = 0; i < SATURATING_LEASES; i++) pools.begin('h100-pool');
  const settings = shedPassing.rateLimits?.shedding;
  if (!settings) throw new Error('the shedding policy has no shedding');
  const shedder = new LoadShedder(settings, pools, () => 0);
  const request = { pool: 'h100-pool', decision: 'math' };
  const start = cpuMicros();
  for (let i = 0; i < requests; i++) shedder.check(request);
  return (cpuMicros() - start) / requests;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const none = await compilePolicyText(BASE, 'none.yaml');
const admitting = await compilePolicyText(ADMITTING, 'admitting.yaml');
const refusing = await compilePolicyText(REFUSING, 'refusing.yaml');
const shedPassing = await compilePolicyText(shedding(0), 'shed-passing.yaml');
const shedRefusing = await compilePolicyText(shedding(50), 'shed-refusing.yaml');
const routers: Record<string, RequestRouter> = {
  none: createRequestRouter(none, defaultRouterDeps()),
  admitting: createRequestRouter(admitting, defaultRouterDeps()),
  refusing: createRequestRouter(refusing, defaultRouterDeps()),
  sheddingIdle: createRequestRouter(shedRefusing, defaultRouterDeps()),
  sheddingPasses: createRequestRouter(shedPassing, defaultRouterDeps()),
  shed: createRequestRouter(shedRefusing, defaultRouterDeps()),
};
for (const name of ['sheddingPasses', 'shed'])
  for (let i = 0; i < SATURATING_LEASES; i++) routers[name]?.pools.begin('h100-pool');
let redis: RedisServer | undefined;
let store: StoreHolder | undefined;
const sharedPolicy = await compilePolicyText(
  ADMITTING.replace('rate_limits:\n', 'rate_limits:\n  counters: shared\n'),
  'shared.yaml',
);
if (redisSkipReason === undefined) {
  redis = await RedisServer.start();
  store = new StoreHolder({ logger: silentLogger });
  store.apply(
    compileStateStore(
      stateStoreSchema.parse({ backend: 'redis', timeout_ms: 1000, redis: { address: redis.address } }),
    ).settings,
  );
  for (let i = 0; i < 500 && !store.healthy; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!store.healthy) throw new Error('redis-server did not answer');
  routers.shared = createRequestRouter(sharedPolicy, { ...defaultRouterDeps(), store });
} else console.warn(`shared counters not measured: ${redisSkipReason}`);
// Use up every tenant's single request: from here on each request of the refusing router is a 429.
for (let i = 0; i < TENANTS; i++) await oneRequest(routers.refusing as RequestRouter, `tenant-${i}`);
if (!admitting.rateLimits) throw new Error('the admitting policy has no rate_limits');
const limiter = new RateLimiter(admitting.rateLimits, new RateLimitCounters());

// Warm-up, then rounds.
const variants: { name: string; router: string; admitted: boolean }[] = [
  { name: 'no rate_limits (whole request)', router: 'none', admitted: true },
  { name: '3 admitting limits (whole request)', router: 'admitting', admitted: true },
  { name: '429 path (refused at admission)', router: 'refusing', admitted: false },
  { name: 'shedding, pool below saturation', router: 'sheddingIdle', admitted: true },
  { name: 'shedding, pool saturated, decision above the floor', router: 'sheddingPasses', admitted: true },
  { name: 'shed path (503, saturated, below the floor)', router: 'shed', admitted: false },
  ...(routers.shared
    ? [{ name: '3 admitting limits, counters: shared (redis)', router: 'shared', admitted: true }]
    : []),
];
/**
 * The local variants' loops never wait on I/O, so the event loop does not turn while they run: a Redis reply still
 * in flight would time out. Each shared run therefore ends with its fire-and-forget commands answered.
 */
async function run(v: (typeof variants)[number], requests: number) {
  const result = await perRequest(routers[v.router] as RequestRouter, requests, v.admitted);
  if (v.router === 'shared') await store?.get('bench-flush');
  return result;
}
for (const v of variants) await run(v, 2000);
limiterAlone(limiter, 20000);
shedderAlone(20000);
const samples = new Map(variants.map((v) => [v.name, [] as { cpu: number; wall: number }[]]));
const limiterSamples: number[] = [];
const shedderSamples: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const v of variants) samples.get(v.name)?.push(await run(v, REQUESTS));
  limiterSamples.push(limiterAlone(limiter, REQUESTS * 5));
  shedderSamples.push(shedderAlone(REQUESTS * 5));
}
const base = median((samples.get(variants[0]?.name ?? '') ?? []).map((x) => x.cpu));
const rows = variants.map((v) => {
  const xs = samples.get(v.name) ?? [];
  const cpu = xs.map((x) => x.cpu);
  return [
    v.name,
    fmt(median(cpu), 1),
    fmt(Math.min(...cpu), 1),
    fmt(Math.max(...cpu), 1),
    v.router === 'none' ? '' : fmt(median(cpu) - base, 1),
    fmt(median(xs.map((x) => x.wall)), 1),
  ];
});
rows.push([
  'limiter alone: admit + settle + release',
  fmt(median(limiterSamples), 2),
  fmt(Math.min(...limiterSamples), 2),
  fmt(Math.max(...limiterSamples), 2),
  '',
  '',
]);
rows.push([
  'shedder alone: saturated pool, decision passes',
  fmt(median(shedderSamples), 2),
  fmt(Math.min(...shedderSamples), 2),
  fmt(Math.max(...shedderSamples), 2),
  '',
  '',
]);
console.log(
  `rate-limit cost: ${REQUESTS} requests × ${ROUNDS} rounds per variant, ${TENANTS} tenants, node ${process.version}\n`,
);
console.log(
  table(['variant', 'CPU µs/request (median)', 'min', 'max', 'CPU vs no limits', 'wall µs/request'], rows),
);
// A shared run that fell back to local counters would measure the wrong thing.
if (store && store.status().errors > 0)
  throw new Error(`redis failed during the run: ${JSON.stringify(store.status())}`);
for (const policy of [none, admitting, refusing, sharedPolicy, shedPassing, shedRefusing]) policy.close();
await store?.close();
await redis?.stop();
