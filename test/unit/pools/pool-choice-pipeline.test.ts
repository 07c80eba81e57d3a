// Pool choice as the pipeline does it: the model's strategy over the pools that fit and whose breaker admits the
// request, 503 with Retry-After when none is left, a failover cluster for Envoy, outcomes attributed to the pool
// that answered.
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.ts';
import type { ContinueResult, ImmediateResult } from '../../../src/mutations.ts';
import { createRequestRouter, defaultRouterDeps, type RequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { PoolStateRegistry } from '../../../src/pools/pool-state.ts';
import type { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { chatCompletionPost } from '../../helpers/response-plugins.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

const POLICY = `
version: v1
default_model: chat
pools:
  - { name: pool-a, max_context_tokens: 32K }
  - { name: pool-b, max_context_tokens: 32K }
models:
  - { name: chat, pools: [pool-a, pool-b], failover: true }
  - { name: plain, pools: [pool-a, pool-b] }
  - { name: balanced, pools: [pool-a, pool-b], pool_selection: { strategy: least_loaded } }
breaker: { consecutive_failures: 2, open_seconds: 60 }
`;

async function setup(text = POLICY) {
  const policy = await compilePolicyText(text, 'pools.yaml');
  opened.push(policy);
  const clock = { now: 1_000_000 };
  const pools = new PoolStateRegistry({ now: () => clock.now });
  pools.configure(policy.breaker);
  const router = createRequestRouter(policy, { ...defaultRouterDeps(), pools, random: () => 0.5 });
  return { policy, pools, router, clock };
}

async function send(router: RequestRouter, model: string) {
  const processor = chatCompletionPost(router);
  const result = await processor.onRequestBody(
    Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] })),
    true,
  );
  return { processor, result };
}

const headersOf = (result: ContinueResult | ImmediateResult) =>
  Object.fromEntries(result.kind === 'continue' ? (result.setHeaders ?? []) : result.headers);

async function answer(
  processor: StreamProcessor,
  status: number,
  upstreamCluster?: string,
  attempts?: number,
) {
  await processor.onResponseHeaders(
    new Map([
      [':status', String(status)],
      ['content-type', 'application/json'],
      ...(upstreamCluster ? [['x-router-upstream-cluster', upstreamCluster] as const] : []),
      ...(attempts ? [['x-router-upstream-attempts', String(attempts)] as const] : []),
    ]),
  );
  await processor.onResponseBody(Buffer.from('{}'), true);
  processor.release();
}

describe('pool choice in the pipeline', () => {
  it('names the failover cluster for a model with failover, and none otherwise', async () => {
    const { router } = await setup();
    expect(headersOf((await send(router, 'chat')).result)).toMatchObject({
      'x-selected-pool': 'pool-a',
      'x-router-failover-cluster': 'pool-a--pool-b',
    });
    expect(headersOf((await send(router, 'plain')).result)['x-router-failover-cluster']).toBeUndefined();
  });

  it('skips a pool whose breaker opened, and answers 503 with Retry-After once every pool is open', async () => {
    const { router, pools } = await setup();
    for (let i = 0; i < 2; i++) await answer((await send(router, 'plain')).processor, 503);
    expect(pools.breaker('pool-a')).toBe('open');
    const moved = await send(router, 'plain');
    expect(headersOf(moved.result)['x-selected-pool']).toBe('pool-b');
    await answer(moved.processor, 502);
    await answer((await send(router, 'plain')).processor, 504);
    expect(pools.breaker('pool-b')).toBe('open');
    const refused = (await send(router, 'plain')).result as ImmediateResult;
    expect(refused.status).toBe(503);
    expect(Number(headersOf(refused)['retry-after'])).toBe(60);
    expect(JSON.parse(Buffer.from(refused.body).toString('utf8'))).toMatchObject({
      error: { code: 'no_pool_available' },
    });
  });

  it('attributes a failed-over answer to the fallback, and the failure to the chosen pool', async () => {
    const { router, pools } = await setup();
    const { processor } = await send(router, 'chat');
    await answer(processor, 200, 'pool-b');
    expect(pools.view('pool-a')).toMatchObject({ requests: 1, failures: 1, inFlight: 0 });
    expect(pools.view('pool-b')).toMatchObject({ requests: 1, failures: 0, inFlight: 0 });
  });

  it('charges the chosen pool only when Envoy tried it before the fallback answered', async () => {
    const { router, pools } = await setup();
    // One attempt on the fallback: Envoy skipped the primary (no healthy host), so the primary did not fail.
    await answer((await send(router, 'chat')).processor, 200, 'pool-b', 1);
    expect(pools.view('pool-a')).toMatchObject({ requests: 0, failures: 0, inFlight: 0 });
    expect(pools.view('pool-b')).toMatchObject({ requests: 1, failures: 0, inFlight: 0 });
    await answer((await send(router, 'chat')).processor, 200, 'pool-b', 2);
    expect(pools.view('pool-a')).toMatchObject({ requests: 1, failures: 1, inFlight: 0 });
    expect(pools.view('pool-b')).toMatchObject({ requests: 2, failures: 0, inFlight: 0 });
  });

  it('gives a model named by the client load-aware pool choice too', async () => {
    const { router, pools } = await setup();
    const held = pools.begin('pool-a');
    expect(headersOf((await send(router, 'balanced')).result)['x-selected-pool']).toBe('pool-b');
    held.cancel();
  });
});

describe('pool selection in the policy', () => {
  it.each([
    [
      `pool_selection: { strategy: least_lodaed }`,
      /unknown pool selection strategy 'least_lodaed'.*did you mean 'least_loaded'/s,
    ],
    [
      `pool_selection: { strategy: weighted, weighted: { weights: { pool-a: -1 } } }`,
      /pool_selection\.weighted/,
    ],
    [`pool_selection: { strategy: ordered, least_loaded: {} }`, /settings of ordered go under 'ordered:'/],
    [
      `scrape: { interval_seconds: 10, stale_seconds: 5 }`,
      /stale_seconds \(5\) must exceed interval_seconds \(10\)/,
    ],
  ])('rejects %s', async (extra, message) => {
    const error = await compilePolicyText(`${POLICY}${extra}\n`, 'bad.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect(formatIssues(error as PolicyError)).toMatch(message);
  });

  it('rejects a metrics endpoint that is not an http(s) URL', async () => {
    const text = POLICY.replace(
      '{ name: pool-b, max_context_tokens: 32K }',
      '{ name: pool-b, max_context_tokens: 32K, metrics_endpoint: "ftp://vllm/metrics" }',
    );
    const error = await compilePolicyText(text, 'bad.yaml').catch((e: unknown) => e);
    expect(formatIssues(error as PolicyError)).toMatch(/pools\[1\]\.metrics_endpoint.*http or https/s);
  });
});

function formatIssues(error: PolicyError): string {
  return error.issues.map((i) => `${i.path}: ${i.message} ${i.hint ?? ''}`).join('\n');
}
