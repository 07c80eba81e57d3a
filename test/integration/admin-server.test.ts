// The admin HTTP server over loopback: health, readiness through shutdown, metrics, policy, bad requests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from '../../src/admin/prometheus-exporter.ts';
import { type App, startApp } from '../../src/app.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { createExtProcClient, ExtProcExchange, headerMap } from '../helpers/ext-proc-client.ts';

const SYSTEM_PROMPT = 'You are the internal code assistant of ACME.';
const POLICY = `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 8K
    labels: { api_key: sk-live-123, team: ml, client_secret: hush, max_tokens_hint: '4K' }
    description: "vLLM at http://ops:hunter2@vllm-l4:8000/v1"
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool] }
routing:
  signals:
    keywords:
      - { name: code, operator: OR, keywords: [python] }
  decisions:
    - name: code
      rules: { type: keyword, name: code }
      modelRefs: [{ model: small }]
      plugins: [{ type: system_prompt, configuration: { system_prompt: "${SYSTEM_PROMPT}" } }]
`;

let workDir: string;
let policyFile: string;
let app: App;
let base: string;
const prometheus = createPrometheusMetrics();
const meterProvider = new MeterProvider({ readers: [prometheus.reader] });

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'router-admin-'));
  policyFile = path.join(workDir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    shutdownGraceMs: 5000,
    failOpen: false,
    logger: silentLogger,
    // Reloads happen only when a test asks: a watcher reacting to the test's own writes would race its
    // explicit reloads and bump the generation behind its back (seen on a busy machine: 3 instead of 2).
    watch: false,
    admin: { host: '127.0.0.1', port: 0, metrics: prometheus.handler },
  });
  base = `http://127.0.0.1:${app.adminPort}`;
});

afterAll(async () => {
  await app?.close();
  await meterProvider.shutdown();
  rmSync(workDir, { recursive: true, force: true });
});

async function getJson(pathname: string, init?: RequestInit) {
  const response = await fetch(`${base}${pathname}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text ? JSON.parse(text) : undefined,
  };
}

/** Sends raw bytes to the admin port and returns whatever comes back before the server closes the socket. */
function rawRequest(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.adminPort as number, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('admin server', () => {
  it('listens on its own port, apart from gRPC', () => {
    expect(app.adminPort).toBeGreaterThan(0);
    expect(app.adminPort).not.toBe(app.port);
  });

  it('answers /healthz with 200 while the process is alive', async () => {
    const { status, body, headers } = await getJson('/healthz');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok' });
    expect(headers.get('content-type')).toContain('application/json');
  });

  it('answers /readyz with 200 once the policy is compiled and gRPC accepts streams', async () => {
    const { status, body } = await getJson('/readyz');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ready',
      ready: true,
      checks: { policyCompiled: true, modelsWarm: true, grpcAccepting: true, shuttingDown: false },
    });
  });

  it('serves Prometheus text on /metrics from the exporter', async () => {
    meterProvider
      .getMeter('admin-test')
      .createCounter('router_admin_test_total')
      .add(3, { decision: 'code' });
    const response = await fetch(`${base}/metrics`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE router_admin_test_total counter');
    expect(text).toMatch(/^router_admin_test_total\{decision="code"\} 3$/m);
  });

  it('shows the live policy on /policy with generation, source and secrets redacted', async () => {
    const { status, body, text } = await getJson('/policy');
    expect(status).toBe(200);
    expect(body).toMatchObject({ generation: 1, source: policyFile, files: [policyFile], format: 'v1' });
    expect(Number.isNaN(Date.parse(body.loadedAt))).toBe(false);
    expect(body.policy.default_model).toBe('small');
    expect(body.policy.pools[0].labels).toEqual({
      api_key: '[REDACTED]',
      team: 'ml',
      client_secret: '[REDACTED]',
      max_tokens_hint: '4K',
    });
    expect(body.policy.pools[0].max_context_tokens).toBe(8000);
    expect(body.policy.pools[0].description).toBe('vLLM at http://[REDACTED]@vllm-l4:8000/v1');
    expect(body.policy.routing.decisions[0].plugins[0].configuration.system_prompt).toBe(
      `[HIDDEN: ${SYSTEM_PROMPT.length} chars]`,
    );
    expect(text).not.toMatch(/sk-live-123|hush|hunter2|ACME/);
    expect(body.reloadError).toBeUndefined();
  });

  it('reports a failed reload on /policy while the last good generation keeps serving, until a reload works', async () => {
    writeFileSync(policyFile, `${POLICY}  bogus: [\n`);
    expect((await app.policies.reload()).ok).toBe(false);
    const broken = await getJson('/policy');
    expect(broken.status).toBe(200);
    expect(broken.body.generation).toBe(1);
    expect(broken.body.reloadError.code).toBe('invalid_policy');
    expect(broken.body.reloadError.issues[0].message).toMatch(/YAML/);
    expect((await getJson('/readyz')).status).toBe(200);

    writeFileSync(policyFile, POLICY);
    expect((await app.policies.reload()).ok).toBe(true);
    const fixed = await getJson('/policy');
    expect(fixed.body.generation).toBe(2);
    expect(fixed.body.reloadError).toBeUndefined();
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    const missing = await getJson('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.endpoints).toEqual([
      '/healthz',
      '/readyz',
      '/metrics',
      '/policy',
      '/pools',
      '/feedback',
      '/replay',
      '/cache',
      '/cache/flush',
    ]);
    expect((await getJson('/healthz/')).status).toBe(404);
    const post = await getJson('/policy', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await getJson('/readyz?verbose=1')).status).toBe(200);
  });

  it('takes feedback only as a POSTed JSON object with a request id and a score', async () => {
    const get = await getJson('/feedback');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await getJson('/feedback', { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await getJson('/feedback', { method: 'POST', body: '[1]' })).status).toBe(400);
    expect((await getJson('/feedback', { method: 'POST', body: 'x'.repeat(20_000) })).status).toBe(413);
    const unknown = await getJson('/feedback', { method: 'POST', body: '{"request_id":"r-1","score":1}' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_request');
  });

  it('answers HEAD without a body', async () => {
    const response = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('survives malformed HTTP and odd request targets', async () => {
    expect(await rawRequest('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest('GET /%%%/\u00ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 (400|404)/,
    );
    expect(await rawRequest('GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 404/,
    );
    expect((await getJson('/healthz')).status).toBe(200);
  });

  it('flips /readyz to 503 as soon as shutdown starts, keeps answering while gRPC drains, then closes', async () => {
    const client: grpc.Client = createExtProcClient(app.port);
    const exchange = ExtProcExchange.open(client);
    await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
    });
    const closing = app.close();
    const ready = await getJson('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not_ready', ready: false, reason: 'shutting down' });
    expect((await getJson('/healthz')).status).toBe(200);
    await exchange.send({
      request_body: {
        body: Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'python' }] })),
        end_of_stream: true,
      },
    });
    await exchange.close();
    client.close();
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('admin server while the router starts', () => {
  it('is up before the policy and its models load: healthy, not ready, no policy yet', async () => {
    // A FIFO holds the policy load open until the test writes the policy into it.
    const fifo = path.join(workDir, 'policy.fifo');
    execFileSync('mkfifo', [fifo]);
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const starting = startApp({
      policyFile: fifo,
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024,
      shutdownGraceMs: 1000,
      failOpen: false,
      logger: silentLogger,
      admin: { host: '127.0.0.1', port },
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      let ready: Response | undefined;
      for (let attempt = 0; attempt < 100 && !ready; attempt++) {
        ready = await fetch(`${url}/readyz`).catch(() => undefined);
        if (!ready) await new Promise((r) => setTimeout(r, 20));
      }
      expect(ready?.status).toBe(503);
      expect(await ready?.json()).toMatchObject({ ready: false, reason: 'models are loading' });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/policy`)).status).toBe(503);
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
    } finally {
      // Also on failure: the pending policy read would otherwise hold the worker forever.
      writeFileSync(fifo, POLICY);
    }
    const started = await starting;
    try {
      expect(started.adminPort).toBe(port);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await started.close();
    }
  });
});
