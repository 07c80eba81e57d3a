// Two router processes sharing one redis-server learn together: what replica A learns from its answers (a model
// whose upstream fails) steers replica B's very first request; feedback on a request routed by one replica is
// taken by the other; and when Redis stops, both keep routing (in-memory state, one log line, a metric) and share
// again once it is back. The test plays Envoy over real gRPC; upstreams are the project's stub as real HTTP servers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/state/redis-store.ts';
import { createStubServer } from '../../src/stub/openai-stub.ts';
import { createExtProcClient, ExtProcExchange, headerMap, setHeaders } from '../helpers/ext-proc-client.ts';
import { RedisServer, redisSkipReason } from '../helpers/redis-server.ts';
import { type ServingRouter, startRouterProcess } from '../helpers/router-process.ts';

if (redisSkipReason) console.warn(`test/integration/redis-replicas.test.ts skipped: ${redisSkipReason}`);

const KEY_PREFIX = 'replicas-test:';
const DECISION = 'learned';

interface Replica {
  readonly router: ServingRouter;
  readonly client: grpc.Client;
  readonly adminPort: number;
}

let workDir: string;
let redis: RedisServer;
let probe: RedisStore;
const stubs = new Map<string, { server: Server; port: number }>();
let replicaA: Replica;
let replicaB: Replica;

function policyYaml(redisAddress: string): string {
  // `flaky-model` comes first: with both arms unknown, the greedy bandit tries it first.
  return `version: v1
default_model: steady-model
pools:
  - { name: flaky-pool, max_context_tokens: 32K }
  - { name: steady-pool, max_context_tokens: 32K }
models:
  - { name: flaky-model, provider_model_id: stub/flaky, pools: [flaky-pool] }
  - { name: steady-model, provider_model_id: stub/steady, pools: [steady-pool] }
state_store:
  backend: redis
  timeout_ms: 200
  redis: { address: "${redisAddress}", key_prefix: "${KEY_PREFIX}" }
routing:
  decisions:
    - name: ${DECISION}
      priority: 1
      modelRefs: [ { model: flaky-model }, { model: steady-model } ]
      algorithm:
        type: rl_driven
        rl_driven: { exploration_rate: 0, min_exploration: 0, implicit_feedback_weight: 1 }
`;
}

async function startStub(pool: string, errorRate: number): Promise<void> {
  const server = createStubServer({
    pool,
    errorRate,
    errorStatus: 500,
    ttftMs: 0,
    completionTokens: 4,
    seed: 1,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stubs.set(pool, { server, port: (server.address() as AddressInfo).port });
}

async function startReplica(policyFile: string): Promise<Replica> {
  const router = await startRouterProcess(['--policy', policyFile, '--admin-port', '0']);
  const adminPort = Number(/"adminPort":(\d+)/.exec(router.logs())?.[1]);
  return { router, client: createExtProcClient(router.port), adminPort };
}

interface Answer {
  /** Request headers the router removed before upstream. */
  readonly removed: readonly string[];
  readonly model: string;
  readonly status: number;
  readonly responseHeaders: Record<string, string>;
}

/** One request the way Envoy runs it: routing answer, then the chosen pool's stub answers over real HTTP. */
async function send(
  replica: Replica,
  requestId: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = Buffer.from(
    JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }] }),
  );
  const exchange = ExtProcExchange.open(replica.client);
  try {
    const admitted = await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          ':authority': 'router.test',
          'content-type': 'application/json',
          'content-length': String(body.length),
          'x-request-id': requestId,
          ...headers,
        }),
        end_of_stream: false,
      },
    });
    const routed = await exchange.send({ request_body: { body, end_of_stream: true } });
    const mutation = routed.request_body?.response;
    const set = setHeaders(mutation?.header_mutation);
    const pool = set['x-selected-pool'] as string;
    const stub = stubs.get(pool);
    if (!stub) throw new Error(`no upstream for pool '${pool}' (routing answer: ${JSON.stringify(set)})`);
    const upstream = await fetch(`http://127.0.0.1:${stub.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: mutation?.body_mutation?.body ?? body,
    });
    const text = await upstream.text();
    const answered = await exchange.send({
      response_headers: {
        headers: headerMap({
          ':status': String(upstream.status),
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
        }),
      },
    });
    if (answered.mode_override?.response_body_mode !== 'NONE')
      await exchange.send({ response_body: { body: Buffer.from(text), end_of_stream: true } });
    return {
      removed: admitted.request_headers?.response?.header_mutation?.remove_headers ?? [],
      model: set['x-selected-model'] as string,
      status: upstream.status,
      responseHeaders: setHeaders(answered.response_headers?.response?.header_mutation),
    };
  } finally {
    await exchange.close();
  }
}

async function until(what: string, probeFn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probeFn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Outcomes the decision's bandit has recorded in Redis (the sync point: learning is asynchronous). */
async function recordedOutcomes(): Promise<number> {
  return (await probe.readFields(`rl:${DECISION}:*`)).n ?? 0;
}

async function metric(replica: Replica, line: string): Promise<boolean> {
  const text = await (await fetch(`http://127.0.0.1:${replica.adminPort}/metrics`)).text();
  return text.split('\n').some((l) => l.startsWith(line));
}

async function postFeedback(
  replica: Replica,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${replica.adminPort}/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.skipIf(redisSkipReason !== undefined)('two router replicas sharing one Redis', () => {
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'redis-replicas-'));
    redis = await RedisServer.start();
    probe = new RedisStore({
      host: '127.0.0.1',
      port: redis.port,
      username: undefined,
      password: undefined,
      database: 0,
      keyPrefix: KEY_PREFIX,
      connectTimeoutMs: 2000,
      timeoutMs: 2000,
    });
    await probe.ready();
    await startStub('flaky-pool', 1);
    await startStub('steady-pool', 0);
    const policyFile = path.join(workDir, 'policy.yaml');
    writeFileSync(policyFile, policyYaml(redis.address));
    [replicaA, replicaB] = await Promise.all([startReplica(policyFile), startReplica(policyFile)]);
  }, 60_000);

  afterAll(async () => {
    for (const replica of [replicaA, replicaB]) {
      replica?.client.close();
      await replica?.router.stop();
    }
    await probe?.close();
    await redis?.stop();
    for (const { server } of stubs.values()) await new Promise((resolve) => server.close(resolve));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('replica B routes its first requests by what replica A learned from its answers', async () => {
    const first = await send(replicaA, 'a-1');
    // Nothing learned yet: the bandit tries the decision's first model, whose upstream fails.
    expect(first).toMatchObject({ model: 'flaky-model', status: 500 });
    await until('A’s first outcome in redis', async () => (await recordedOutcomes()) >= 1);
    for (let i = 2; i <= 4; i++) expect((await send(replicaA, `a-${i}`)).model).toBe('steady-model');
    await until('A’s outcomes in redis', async () => (await recordedOutcomes()) >= 4);

    // B has routed nothing itself; alone it would try flaky-model first, as A did.
    const fromB = [];
    for (let i = 1; i <= 4; i++) fromB.push(await send(replicaB, `b-${i}`));
    expect(fromB.map((a) => a.model)).toEqual(Array(4).fill('steady-model'));
    expect(fromB.every((a) => a.status === 200)).toBe(true);
  });

  it('takes feedback on a request routed by the other replica, once, and refuses bad feedback', async () => {
    await send(replicaB, 'rated-1');
    await until('the route record in redis', async () => (await probe.get('route:rated-1')) !== undefined);
    const before = await probe.readFields(`rl:${DECISION}:*`);

    const rated = await send(replicaA, 'a-feedback-1', {
      'x-router-feedback-request-id': 'rated-1',
      'x-router-feedback-score': '0',
    });
    expect(rated.responseHeaders['x-router-feedback']).toBe('accepted');
    expect(rated.removed).toEqual(
      expect.arrayContaining(['x-router-feedback-request-id', 'x-router-feedback-score']),
    );
    const after = await probe.readFields(`rl:${DECISION}:*`);
    expect((after['b:steady-model'] ?? 0) - (before['b:steady-model'] ?? 0)).toBeGreaterThanOrEqual(1);

    const again = await send(replicaA, 'a-feedback-2', {
      'x-router-feedback-request-id': 'rated-1',
      'x-router-feedback-score': '1',
    });
    expect(again.responseHeaders['x-router-feedback']).toBe('rejected: already_rated');
    const badScore = await send(replicaB, 'b-feedback-1', {
      'x-router-feedback-request-id': 'a-1',
      'x-router-feedback-score': 'great',
    });
    expect(badScore.responseHeaders['x-router-feedback']).toBe('rejected: invalid_score');

    expect(await postFeedback(replicaB, { request_id: 'never-routed', score: 1 })).toMatchObject({
      status: 404,
      body: { code: 'unknown_request' },
    });
    expect(await postFeedback(replicaB, { request_id: 'a-2', score: 3 })).toMatchObject({
      status: 400,
      body: { code: 'invalid_score' },
    });
    expect(
      await postFeedback(replicaA, {
        decision: DECISION,
        winner_model: 'steady-model',
        loser_model: 'flaky-model',
      }),
    ).toMatchObject({ status: 200, body: { status: 'accepted', model: 'steady-model' } });
    expect(
      await postFeedback(replicaA, {
        decision: DECISION,
        winner_model: 'steady-model',
        loser_model: 'unknown',
      }),
    ).toMatchObject({ status: 400, body: { code: 'invalid_models' } });
    expect(await postFeedback(replicaB, { request_id: 'a-2', score: 1 })).toMatchObject({
      status: 200,
      body: { status: 'accepted', decision: DECISION, model: 'steady-model' },
    });
  });

  it('keeps routing while Redis is stopped, says so once, and shares state again when it is back', async () => {
    await until('store up metric', () => metric(replicaA, 'router_state_store_up{backend="redis"} 1'));
    await redis.stop();
    // Routing goes on from in-memory state, which starts empty and learns locally.
    const outage = [];
    for (let i = 1; i <= 5; i++) outage.push((await send(replicaA, `outage-${i}`)).model);
    expect(outage).toEqual(['flaky-model', ...Array(4).fill('steady-model')]);
    await until('store down metric', () => metric(replicaA, 'router_state_store_up{backend="redis"} 0'));
    const outageLogs = replicaA.router.logs().match(/redis unavailable/g) ?? [];
    expect(outageLogs).toHaveLength(1);

    await redis.start();
    await until('store up again', () => metric(replicaA, 'router_state_store_up{backend="redis"} 1'), 20_000);
    await until('probe reconnected', async () => probe.healthy);
    await until('B reconnected', () => metric(replicaB, 'router_state_store_up{backend="redis"} 1'), 20_000);
    // The restarted Redis is empty: A learns there again from scratch, and B routes by what A learned.
    expect((await send(replicaA, 'after-1')).model).toBe('flaky-model');
    await until('A’s outcome in the restarted redis', async () => (await recordedOutcomes()) >= 1);
    expect((await send(replicaB, 'after-2')).model).toBe('steady-model');
    expect(replicaA.router.logs()).toContain('redis is back');
  });
});
