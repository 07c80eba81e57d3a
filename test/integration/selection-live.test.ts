// Live-state selection over the real loop: two stub model servers that differ in latency and error rate, the router
// in process on loopback gRPC, Envoy played by the test. The answers' timing flows back into the model figures, and
// latency_aware and multi_factor move traffic to the fast, healthy model; the debug header shows why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { createStubServer } from '../../src/stub/openai-stub.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { playRequest } from '../helpers/envoy-player.ts';
import { createExtProcClient } from '../helpers/ext-proc-client.ts';

const stubs: Server[] = [];
const ports = new Map<string, number>();
let app: App;
let client: grpc.Client;
let workDir: string;

const POLICY = `
version: v1
default_model: slow
pools:
  - { name: pool-slow, max_context_tokens: 32K }
  - { name: pool-fast, max_context_tokens: 32K }
models:
  - { name: slow, pools: [pool-slow], quality: 0.8, pricing: { prompt_per_1m: 1, completion_per_1m: 2 } }
  - { name: fast, pools: [pool-fast], quality: 0.8, pricing: { prompt_per_1m: 1, completion_per_1m: 2 } }
# The breaker stays out of the way: what moves traffic here is the selection algorithm.
breaker: { consecutive_failures: 1000, error_ratio: 0.99, min_requests: 50 }
routing:
  signals:
    keywords:
      - { name: by_latency, operator: OR, keywords: [latency-route] }
      - { name: by_factors, operator: OR, keywords: [factor-route] }
  decisions:
    - name: latency
      priority: 20
      rules: { operator: OR, conditions: [ { type: keyword, name: by_latency } ] }
      modelRefs: [ { model: slow }, { model: fast } ]
      algorithm:
        type: latency_aware
        latency_aware: { ttft_percentile: 90, min_samples: 2, exploration_rate: 0 }
    - name: factors
      priority: 10
      rules: { operator: OR, conditions: [ { type: keyword, name: by_factors } ] }
      modelRefs: [ { model: slow }, { model: fast } ]
      algorithm:
        type: multi_factor
        multi_factor:
          weights: { quality: 0.5, latency: 0.5, cost: 0, load: 0 }
          latency_metric: ttft
          latency_percentile: 90
`;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

const ask = (route: string, headers: Record<string, string> = {}) =>
  playRequest(client, ports, {
    headers,
    body: { model: 'auto', stream: true, messages: [{ role: 'user', content: `${route}: say something` }] },
  });

beforeAll(async () => {
  // slow: 400 ms to the first token and 30 % of answers fail (seed 1: the second does); fast: a few ms, never fails.
  const slow = createStubServer({
    pool: 'pool-slow',
    ttftMs: 400,
    completionTokens: 8,
    errorRate: 0.3,
    seed: 1,
  });
  const fast = createStubServer({ pool: 'pool-fast', ttftMs: 2, completionTokens: 8 });
  for (const [pool, server] of [
    ['pool-slow', slow],
    ['pool-fast', fast],
  ] as const) {
    stubs.push(server);
    ports.set(pool, await listen(server));
  }
  workDir = mkdtempSync(path.join(tmpdir(), 'router-selection-'));
  const policyFile = path.join(workDir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    shutdownGraceMs: 1000,
    failOpen: false,
    watch: false,
    logger: silentLogger,
  });
  client = createExtProcClient(app.port);
});

afterAll(async () => {
  client?.close();
  await app?.close();
  for (const server of stubs) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  rmSync(workDir, { recursive: true, force: true });
});

describe('selection on live model figures', () => {
  it('latency_aware tries each model, then sends traffic to the fast, healthy one', async () => {
    const clusters: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) clusters.push((await ask('latency-route')).cluster);
    // The first in the decision's order (slow) is measured first, then fast; from then on only fast.
    expect(clusters.slice(0, 4)).toEqual(['pool-slow', 'pool-slow', 'pool-fast', 'pool-fast']);
    expect(clusters.slice(4)).toEqual(Array(8).fill('pool-fast'));
  });

  it('multi_factor, on the same model figures, prefers the fast model; the debug header shows each score', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask('factor-route', { 'x-router-debug': 'true' }));
    expect(answers.map((a) => a.cluster)).toEqual(Array(6).fill('pool-fast'));
    const header = answers.at(-1)?.clientHeaders['x-router-selection'] ?? '';
    expect(header).toMatch(
      /^multi_factor; highest score: weighted quality 0\.5, latency 0\.5, cost 0, load 0; /,
    );
    const scores = Object.fromEntries(
      [...header.matchAll(/(slow|fast)=([\d.]+)\(([^)]*)\)/g)].map((m) => [
        m[1],
        { score: Number(m[2]), parts: m[3] },
      ]),
    );
    expect(scores.fast?.score).toBeGreaterThan(scores.slow?.score ?? 1);
    expect(scores.fast?.parts).toMatch(/latency:1 .*ttft_p90_ms:/);
    expect(scores.slow?.parts).toMatch(/^quality:0 latency:0 ttft_p90_ms:\d{3}.* error_rate:0\.5$/);
  });

  it('without the debug header, clients see no selection detail', async () => {
    const answer = await ask('factor-route');
    expect(answer.clientHeaders['x-router-selection']).toBeUndefined();
    expect(answer.clientHeaders['x-router-model']).toBe('fast');
  });
});
