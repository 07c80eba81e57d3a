// Two router PROCESSES with `counters: shared` and one real redis-server: 2N+3 requests of one tenant spread over
// both replicas, as Envoy sends them over gRPC, and exactly N pass in total (local counters would pass 2N).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExtProcClient,
  ExtProcExchange,
  headerMap,
  immediateJson,
} from '../helpers/ext-proc-client.ts';
import { RedisServer, redisSkipReason } from '../helpers/redis-server.ts';
import { type ServingRouter, startRouterProcess } from '../helpers/router-process.ts';

if (redisSkipReason)
  console.warn(`test/integration/rate-limits-replicas.test.ts skipped: ${redisSkipReason}`);

const LIMIT = 5;

interface Replica {
  readonly router: ServingRouter;
  readonly client: grpc.Client;
}

let workDir: string;
let redis: RedisServer;
const replicas: Replica[] = [];

function policyYaml(redisAddress: string): string {
  return `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
models:
  - { name: small, provider_model_id: stub/small, pools: [l4-pool] }
state_store:
  backend: redis
  timeout_ms: 500
  redis: { address: "${redisAddress}", key_prefix: "rate-limit-replicas:" }
rate_limits:
  counters: shared
  limits:
    - { name: per-tenant, key: tenant, requests_per_window: ${LIMIT}, window_seconds: 60 }
`;
}

/** Waits until the replica's state store reports Redis up (admin /metrics), so it counts in Redis, not locally. */
async function redisUp(router: ServingRouter): Promise<void> {
  const adminPort = /"adminPort":(\d+)/.exec(router.logs())?.[1];
  if (adminPort === undefined) throw new Error(`no admin port in the logs:\n${router.logs()}`);
  for (let attempt = 0; attempt < 300; attempt++) {
    const metrics = await fetch(`http://127.0.0.1:${adminPort}/metrics`).then((r) => r.text());
    if (/router_state_store_up\{[^}]*backend="redis"[^}]*\} 1/.test(metrics)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the replica never reported redis up');
}

/** One request of tenant acme as Envoy sends it; the HTTP status the router answers, or 'continue'. */
async function send(replica: Replica): Promise<number | 'continue'> {
  const exchange = ExtProcExchange.open(replica.client);
  try {
    await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          'content-type': 'application/json',
          'x-tenant-id': 'acme',
        }),
        end_of_stream: false,
      },
    });
    const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }));
    const routed = await exchange.send({ request_body: { body, end_of_stream: true } });
    return routed.immediate_response ? immediateJson(routed.immediate_response).status : 'continue';
  } finally {
    await exchange.close();
  }
}

describe.skipIf(redisSkipReason !== undefined)('two router processes sharing rate limit counters', () => {
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'rate-limit-replicas-'));
    redis = await RedisServer.start();
    const policyFile = path.join(workDir, 'policy.yaml');
    writeFileSync(policyFile, policyYaml(redis.address));
    const routers = await Promise.all([
      startRouterProcess(['--policy', policyFile]),
      startRouterProcess(['--policy', policyFile]),
    ]);
    for (const router of routers) replicas.push({ router, client: createExtProcClient(router.port) });
    await Promise.all(routers.map(redisUp));
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) {
      replica.client.close();
      await replica.router.stop();
    }
    await redis?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it(`passes exactly ${LIMIT} of ${2 * LIMIT + 3} concurrent requests spread over both replicas`, async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 2 * LIMIT + 3 }, (_, i) => send(replicas[i % 2] as Replica)),
    );
    expect(outcomes.filter((o) => o === 'continue')).toHaveLength(LIMIT);
    expect(outcomes.filter((o) => o === 429)).toHaveLength(LIMIT + 3);
  }, 30_000);
});
