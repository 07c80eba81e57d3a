// CPU cost of policy rate limits, all in one run: a whole request through the stream processor (headers, body,
// routing, response headers and body with usage, end) with no limits, with three admitting limits (requests,
// tokens and concurrency per tenant, 1,000 tenants in turn), and the 429 path (every request over its limit);
// beside them the limiter alone (check + charge, settle on usage, release). Variants alternate in rounds so drift
// hits all alike. Routing is keyword-only (no ML models): what is measured is the router's own work.
// Usage: node --import tsx bench/rate-limit-cost.ts [--requests 20000] [--rounds 5]
import { parseArgs } from 'node:util';
import { createRequestRouter, defaultRouterDeps, type RequestRouter } from '../src/pipeline.ts';
import { compilePolicyText } from '../src/policy/load-policy.ts';
import { RateLimitCounters, RateLimiter } from '../src/rate-limits/rate-limiter.ts';
import { StreamProcessor } from '../src/server/stream-processor.ts';
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

async function perRequest(router: RequestRouter, requests: number, expectAdmitted: boolean): Promise<number> {
  const start = cpuMicros();
  for (let i = 0; i < requests; i++) {
    const admitted = await oneRequest(router, `tenant-${i % TENANTS}`);
    if (admitted !== expectAdmitted)
      throw new Error(`request ${i}: admitted=${admitted}, expected ${expectAdmitted}`);
  }
  return (cpuMicros() - start) / requests;
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const none = await compilePolicyText(BASE, 'none.yaml');
const admitting = await compilePolicyText(ADMITTING, 'admitting.yaml');
const refusing = await compilePolicyText(REFUSING, 'refusing.yaml');
const routers = {
  none: createRequestRouter(none, defaultRouterDeps()),
  admitting: createRequestRouter(admitting, defaultRouterDeps()),
  refusing: createRequestRouter(refusing, defaultRouterDeps()),
};
// Use up every tenant's single request: from here on each request of the refusing router is a 429.
for (let i = 0; i < TENANTS; i++) await oneRequest(routers.refusing, `tenant-${i}`);
if (!admitting.rateLimits) throw new Error('the admitting policy has no rate_limits');
const limiter = new RateLimiter(admitting.rateLimits, new RateLimitCounters());

// Warm-up, then rounds.
await perRequest(routers.none, 2000, true);
await perRequest(routers.admitting, 2000, true);
await perRequest(routers.refusing, 2000, false);
limiterAlone(limiter, 20000);
const samples = {
  none: [] as number[],
  admitting: [] as number[],
  refusing: [] as number[],
  limiter: [] as number[],
};
for (let round = 0; round < ROUNDS; round++) {
  samples.none.push(await perRequest(routers.none, REQUESTS, true));
  samples.admitting.push(await perRequest(routers.admitting, REQUESTS, true));
  samples.refusing.push(await perRequest(routers.refusing, REQUESTS, false));
  samples.limiter.push(limiterAlone(limiter, REQUESTS * 5));
}
const base = median(samples.none);
const row = (name: string, xs: number[], delta: boolean) => [
  name,
  fmt(median(xs), 1),
  fmt(Math.min(...xs), 1),
  fmt(Math.max(...xs), 1),
  delta ? fmt(median(xs) - base, 1) : '',
];
console.log(
  `rate-limit cost: ${REQUESTS} requests × ${ROUNDS} rounds per variant, ${TENANTS} tenants, node ${process.version}\n`,
);
console.log(
  table(
    ['variant', 'CPU µs/request (median)', 'min', 'max', 'vs no limits'],
    [
      row('no rate_limits (whole request)', samples.none, false),
      row('3 admitting limits (whole request)', samples.admitting, true),
      row('429 path (refused at admission)', samples.refusing, true),
      row('limiter alone: admit + settle + release', samples.limiter, false),
    ],
  ),
);
for (const policy of [none, admitting, refusing]) policy.close();
