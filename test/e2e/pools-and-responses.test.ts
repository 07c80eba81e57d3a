// The loop closed: stub model servers as real HTTP servers, the router (in process, real gRPC), Envoy played by the
// test. What happens after the decision flows back into the next one: usage and timing from the answers, a failing
// pool's breaker opening and closing, load-aware pool choice from scraped queues, in-flight accounting on cancel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { createStubServer } from '../../src/stub/openai-stub.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { playRequest } from '../helpers/envoy-player.ts';
import { createExtProcClient } from '../helpers/ext-proc-client.ts';

const POOLS = ['pool-a', 'pool-b', 'pool-c'] as const;
const stubs = new Map<string, Server>();
const ports = new Map<string, number>();
let app: App;
let client: grpc.Client;
let workDir: string;
let deadMetricsPort: number;
const logLines: string[] = [];

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function policy(): string {
  const metrics = (pool: string) => `http://127.0.0.1:${ports.get(pool)}/metrics`;
  return `
version: v1
default_model: chat
pools:
  - { name: pool-a, max_context_tokens: 32K, metrics_endpoint: ${metrics('pool-a')}, cost_per_hour: 4 }
  - { name: pool-b, max_context_tokens: 32K, metrics_endpoint: ${metrics('pool-b')}, cost_per_hour: 1 }
  - { name: pool-c, max_context_tokens: 32K, metrics_endpoint: http://127.0.0.1:${deadMetricsPort}/metrics }
models:
  - name: chat
    pools: [pool-a, pool-b]
    pricing: { prompt_per_1m: 1, completion_per_1m: 2 }
  - name: balanced
    pools: [pool-a, pool-b]
    pool_selection: { strategy: least_loaded }
  - name: lonely
    pools: [pool-c]
breaker: { consecutive_failures: 3, open_seconds: 3, max_open_seconds: 3 }
scrape: { interval_seconds: 0.05, timeout_ms: 200, stale_seconds: 5 }
response: { access_log: true }
`;
}

const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content }],
  ...extra,
});

async function until<T>(what: () => T | Promise<T>, ok: (value: T) => boolean, label: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await what();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${label}`);
}

const poolView = (name: string) => app.pools.view().pools.find((p) => p.name === name);

async function setFault(pool: string, fault: Record<string, unknown> | undefined): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${ports.get(pool)}/stub/fault`, {
    method: fault ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    ...(fault && { body: JSON.stringify(fault) }),
  });
  expect(response.ok).toBe(true);
}

beforeAll(async () => {
  for (const pool of POOLS) {
    const server = createStubServer({ pool, completionTokens: 20, maxConcurrency: 1 });
    stubs.set(pool, server);
    ports.set(pool, await listen(server));
  }
  deadMetricsPort = await freePort();
  workDir = mkdtempSync(path.join(tmpdir(), 'router-pools-'));
  const policyFile = path.join(workDir, 'policy.yaml');
  writeFileSync(policyFile, policy());
  app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    shutdownGraceMs: 1000,
    failOpen: false,
    watch: false,
    logger: createLogger({ level: 'info', write: (line) => logLines.push(line) }),
  });
  client = createExtProcClient(app.port);
});

afterAll(async () => {
  client?.close();
  await app?.close();
  for (const server of stubs.values()) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  rmSync(workDir, { recursive: true, force: true });
});

describe('response stage', () => {
  it('reads usage from a JSON answer, prices it, and hands the facts to Envoy and the access log', async () => {
    const answer = await playRequest(client, ports, { body: chat('chat', 'Hello there, how are you?') });
    expect(answer.status).toBe(200);
    expect(answer.cluster).toBe('pool-a');
    const facts = answer.metadata['io.envoy.semantic_router'];
    expect(facts).toMatchObject({ model: 'chat', pool: 'pool-a', status: 200, completion_tokens: 20 });
    expect(facts?.prompt_tokens).toBeGreaterThan(0);
    // 1 per million prompt tokens, 2 per million completion tokens.
    expect(facts?.cost).toBeCloseTo(
      ((facts?.prompt_tokens as number) * 1 + (facts?.completion_tokens as number) * 2) / 1e6,
      12,
    );
    const access = logLines.map((l) => JSON.parse(l)).find((l) => l.component === 'access');
    expect(access).toMatchObject({ model: 'chat', pool: 'pool-a', completion_tokens: 20 });
    expect(JSON.stringify(access)).not.toContain('Hello there');
  });

  it('asks a streamed chat answer for its usage, and strips that frame from what the client receives', async () => {
    const answer = await playRequest(client, ports, {
      body: chat('chat', 'Stream me something', { stream: true }),
    });
    expect(answer.forwardedBody?.stream_options).toEqual({ include_usage: true });
    expect(answer.upstreamBody).toMatch(/"choices":\[\],"usage"/);
    expect(answer.clientBody).not.toMatch(/"choices":\[\],"usage"/);
    expect(answer.clientBody).toContain('data: [DONE]');
    // Apart from the usage frame, the client gets the upstream's bytes as they were.
    const withoutUsage = answer.upstreamBody
      .split('\n\n')
      .filter((frame) => !frame.includes('"choices":[],"usage"'))
      .join('\n\n');
    expect(answer.clientBody).toBe(withoutUsage);
    const facts = answer.metadata['io.envoy.semantic_router'];
    expect(facts).toMatchObject({ streaming: true, completion_tokens: 20 });
    expect(facts?.ttft_ms).toBeGreaterThanOrEqual(0);
  });

  it('leaves the usage frame to a client that asked for it', async () => {
    const answer = await playRequest(client, ports, {
      body: chat('chat', 'Stream with usage', { stream: true, stream_options: { include_usage: true } }),
    });
    expect(answer.clientBody).toMatch(/"choices":\[\],"usage"/);
  });
});

describe('live pool state', () => {
  it('frees the in-flight count when the client goes away mid-answer', async () => {
    await setFault('pool-a', { ttftMs: 0, tokensPerSecond: 50 });
    const answer = await playRequest(client, ports, {
      body: chat('chat', 'Stream slowly', { stream: true }),
      cancelAfterChunks: 2,
    });
    expect(answer.cluster).toBe('pool-a');
    await until(
      () => poolView('pool-a')?.inFlight,
      (n) => n === 0,
      'pool-a in flight back to 0',
    );
    await setFault('pool-a', undefined);
  });

  it('opens a failing pool’s breaker within 3 requests, moves its traffic, and closes it after recovery', async () => {
    await setFault('pool-a', { errorRate: 1, errorStatus: 503 });
    const served: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++)
      served.push((await playRequest(client, ports, { body: chat('chat', `request ${i}`) })).cluster);
    expect(served.slice(0, 3)).toEqual(['pool-a', 'pool-a', 'pool-a']);
    expect(served.slice(3)).toEqual(['pool-b', 'pool-b', 'pool-b']);
    expect(poolView('pool-a')?.breaker).toBe('open');
    await setFault('pool-a', undefined);
    // After the cool-down a probe goes to pool-a; its success closes the breaker and traffic comes back.
    await until(
      async () => (await playRequest(client, ports, { body: chat('chat', 'after recovery') })).cluster,
      (cluster) => cluster === 'pool-a',
      'traffic back on pool-a',
    );
    expect(poolView('pool-a')?.breaker).toBe('closed');
  });

  it('keeps routing while a pool’s metrics endpoint is dead, and counts the failed scrapes', async () => {
    await until(
      () => app.pools.view().pools.find((p) => p.name === 'pool-c')?.scrape?.failures ?? 0,
      (failures) => failures >= 2,
      'failed scrapes of pool-c',
    );
    const answer = await playRequest(client, ports, { body: chat('lonely', 'still served') });
    expect(answer.cluster).toBe('pool-c');
    expect(
      logLines.filter((l) => l.includes('pool-c') && l.includes('"level":40')).length,
    ).toBeLessThanOrEqual(1);
  });
  it('answers 503 with Retry-After when every pool of the model is open', async () => {
    await setFault('pool-c', { errorRate: 1, errorStatus: 500 });
    for (let i = 0; i < 3; i++) await playRequest(client, ports, { body: chat('lonely', `x ${i}`) });
    const refused = await playRequest(client, ports, { body: chat('lonely', 'once more') });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.clientBody)).toMatchObject({ error: { code: 'no_pool_available' } });
    expect(Number(refused.clientHeaders['retry-after'])).toBeGreaterThanOrEqual(1);
    await setFault('pool-c', undefined);
  });

  it('sends less traffic to a pool whose model server reports a long queue (least_loaded)', async () => {
    // Fill pool-a's only slot and queue behind it, outside the router: only its /metrics tells.
    await setFault('pool-a', { ttftMs: 10_000 });
    const occupy = new AbortController();
    const busy = [1, 2, 3, 4].map(() =>
      fetch(`http://127.0.0.1:${ports.get('pool-a')}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chat('x', 'occupy')),
        signal: occupy.signal,
      })
        .then((r) => r.text())
        .catch(() => 'aborted'),
    );
    await until(
      () => poolView('pool-a')?.scraped?.waiting ?? 0,
      (waiting) => waiting >= 2,
      'pool-a queue scraped',
    );
    await setFault('pool-a', { ttftMs: 0 });
    const served: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++)
      served.push((await playRequest(client, ports, { body: chat('balanced', `balanced ${i}`) })).cluster);
    expect(served).toEqual(['pool-b', 'pool-b', 'pool-b', 'pool-b']);
    occupy.abort();
    await Promise.all(busy);
    await setFault('pool-a', undefined);
  });
});
