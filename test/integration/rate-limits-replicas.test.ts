import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtProcExchange, headerMap, immediateJson } from '../helpers/ext-proc-client.ts';
import {
  type RedisReplicas,
  type Replica,
  redisPolicy,
  startRedisReplicas,
} from '../helpers/redis-replicas.ts';
import { redisSkipReason } from '../helpers/redis-server.ts';
import type { ServingRouter } from '../helpers/router-process.ts';

if (redisSkipReason)
  console.warn(`test/integration/rate-limits-replicas.test.ts skipped: ${redisSkipReason}`);

const LIMIT = 5;

let started: RedisReplicas;

function policyYaml(redisAddress: string): string {
  return redisPolicy(
    redisAddress,
    'rate-limit-replicas:',
    500,
    `rate_limits:
  counters: shared
  limits:
    - { name: per-tenant, key: tenant, requests_per_window: ${LIMIT}, window_seconds: 60 }
`,
  );
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
    started = await startRedisReplicas('rate-limit-replicas', policyYaml);
    await Promise.all(started.replicas.map((replica) => redisUp(replica.router)));
  }, 60_000);

  afterAll(async () => {
    await started?.stop();
  });

  it(`passes exactly ${LIMIT} of ${2 * LIMIT + 3} concurrent requests spread over both replicas`, async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 2 * LIMIT + 3 }, (_, i) => send(started.replicas[i % 2] as Replica)),
    );
    expect(outcomes.filter((o) => o === 'continue')).toHaveLength(LIMIT);
    expect(outcomes.filter((o) => o === 429)).toHaveLength(LIMIT + 3);
  }, 30_000);
});
