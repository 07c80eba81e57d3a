// Router PROCESSES sharing one real redis-server through `state_store`, each with an ext_proc client: what the
// replica tests (shared cache, shared rate-limit counters) start and stop.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { createExtProcClient } from './ext-proc-client.ts';
import { RedisServer } from './redis-server.ts';
import { type ServingRouter, startRouterProcess } from './router-process.ts';

export interface Replica {
  readonly router: ServingRouter;
  readonly client: grpc.Client;
}

export interface RedisReplicas {
  readonly redis: RedisServer;
  readonly replicas: readonly Replica[];
  stop(): Promise<void>;
}

/**
 * The head of a policy whose state store is the redis-server at `redisAddress` (keys under `keyPrefix`): one small
 * model on one pool. `rest` follows (rate_limits, routing…).
 */
export function redisPolicy(
  redisAddress: string,
  keyPrefix: string,
  timeoutMs: number,
  rest: string,
): string {
  return `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
models:
  - { name: small, provider_model_id: stub/small, pools: [l4-pool] }
state_store:
  backend: redis
  timeout_ms: ${timeoutMs}
  redis: { address: "${redisAddress}", key_prefix: "${keyPrefix}" }
${rest}`;
}

/** Starts a redis-server and `count` routers serving `policyYaml(redis address)`. */
export async function startRedisReplicas(
  name: string,
  policyYaml: (redisAddress: string) => string,
  count = 2,
): Promise<RedisReplicas> {
  const workDir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const redis = await RedisServer.start();
  const replicas: Replica[] = [];
  const stop = async () => {
    for (const replica of replicas) {
      replica.client.close();
      await replica.router.stop();
    }
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const policyFile = path.join(workDir, 'policy.yaml');
    writeFileSync(policyFile, policyYaml(redis.address));
    const routers = await Promise.all(
      Array.from({ length: count }, () => startRouterProcess(['--policy', policyFile])),
    );
    for (const router of routers) replicas.push({ router, client: createExtProcClient(router.port) });
  } catch (error) {
    await stop();
    throw error;
  }
  return { redis, replicas, stop };
}
