// The docker compose stack without Docker: the router (policies/default.yaml) and one OpenAI-compatible stub per
// pool run as real processes; the test plays Envoy (deploy/envoy.yaml): it sends each request through ext_proc,
// routes it on x-selected-pool (default pool otherwise) to the stub of that cluster with the router's header and
// body mutations applied, and passes the upstream's response back through ext_proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBootstrap } from '../helpers/envoy-bootstrap-checks.ts';
import {
  createExtProcClient,
  ExtProcExchange,
  headerMap,
  setHeaders,
  type WireCommonResponse,
} from '../helpers/ext-proc-client.ts';
import { repoRoot } from '../helpers/helm.ts';
import { type ServingRouter, startRouterProcess } from '../helpers/router-process.ts';

interface Stub {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Pool clusters of deploy/envoy.yaml and its default route's cluster: the routing table this test plays. */
const envoy = decodeBootstrap(readFileSync(path.join(repoRoot, 'deploy/envoy.yaml'), 'utf8'));
const POOL_CLUSTERS = envoy.clusterNames.filter((name) => name !== 'semantic-router');
const DEFAULT_CLUSTER = String((envoy.routes.at(-1)?.route as { cluster?: string } | undefined)?.cluster);

function startStub(pool: string): Promise<Stub> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/stub/main.ts', '--pool', pool, '--port', '0', '--host', '127.0.0.1'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stub ${pool} did not start:\n${output}`));
    }, 15_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /"msg":"stub listening".*"port":(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stub ${pool} exited with ${code}:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid as number, 'SIGTERM');
  });
}

interface RoutedAnswer {
  readonly cluster: string;
  readonly routerHeaders: Record<string, string>;
  readonly forwardedBody: Record<string, unknown>;
  readonly upstream: Response;
  readonly upstreamText: string;
  readonly clientHeaders: Record<string, string>;
}

let router: ServingRouter;
let client: grpc.Client;
const stubs = new Map<string, Stub>();

/** One HTTP request through "Envoy": ext_proc request phases, routing, the upstream call, response phases. */
async function sendThroughEnvoy(body: Record<string, unknown>): Promise<RoutedAnswer> {
  const raw = Buffer.from(JSON.stringify(body));
  const exchange = ExtProcExchange.open(client);
  try {
    const requestHeaders = await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          ':authority': 'localhost:8080',
          'content-type': 'application/json',
          'content-length': String(raw.length),
        }),
        end_of_stream: false,
      },
    });
    expect(requestHeaders.immediate_response).toBeUndefined();
    const requestBody = await exchange.send({ request_body: { body: raw, end_of_stream: true } });
    expect(requestBody.immediate_response).toBeUndefined();
    const common: WireCommonResponse | undefined = requestBody.request_body?.response;
    expect(common?.clear_route_cache).toBe(true);
    const routerHeaders = setHeaders(common?.header_mutation);
    const forwarded = common?.body_mutation?.body ?? raw;

    // Route (a) of deploy/envoy.yaml: cluster_header x-selected-pool; route (b): the default pool.
    const cluster = routerHeaders['x-selected-pool'] ?? DEFAULT_CLUSTER;
    const stub = stubs.get(cluster);
    if (!stub) throw new Error(`no cluster ${cluster}`);
    const upstream = await fetch(`http://127.0.0.1:${stub.port}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...routerHeaders,
        'content-length': String(forwarded.length),
      },
      body: forwarded,
    });
    const upstreamText = await upstream.text();

    const responseHeaders = await exchange.send({
      response_headers: {
        headers: headerMap({
          ':status': String(upstream.status),
          'content-type': upstream.headers.get('content-type') ?? '',
        }),
      },
    });
    const clientHeaders = setHeaders(responseHeaders.response_headers?.response?.header_mutation);
    await exchange.send({ response_body: { body: Buffer.from(upstreamText), end_of_stream: true } });
    return {
      cluster,
      routerHeaders,
      forwardedBody: JSON.parse(forwarded.toString('utf8')),
      upstream,
      upstreamText,
      clientHeaders,
    };
  } finally {
    await exchange.close();
  }
}

describe('local stack: router + one stub upstream per pool, Envoy played by the test', () => {
  beforeAll(async () => {
    const started = await Promise.all([
      startRouterProcess(['--policy', 'policies/default.yaml']),
      ...POOL_CLUSTERS.map(async (pool) => [pool, await startStub(pool)] as const),
    ]);
    router = started[0] as ServingRouter;
    for (const entry of started.slice(1)) {
      const [pool, stub] = entry as readonly [string, Stub];
      stubs.set(pool, stub);
    }
    client = createExtProcClient(router.port);
  });

  afterAll(async () => {
    client?.close();
    await Promise.all([router?.stop(), ...[...stubs.values()].map((stub) => stopProcess(stub.child))]);
  });

  it('runs a stub for every pool cluster of deploy/envoy.yaml, each healthy', async () => {
    expect(POOL_CLUSTERS).toEqual(['l4-pool', 'h100-pool', 'longctx-pool', 'onprem-pool']);
    for (const [pool, stub] of stubs) {
      const health = await fetch(`http://127.0.0.1:${stub.port}/health`);
      expect(await health.json()).toEqual({ status: 'ok', pool });
    }
  });

  it.each([
    {
      prompt: 'Hi! What is a good name for a cat?',
      pool: 'l4-pool',
      model: 'small-chat',
      id: 'Qwen/Qwen3-8B',
    },
    {
      prompt: 'Write a python function that parses a CSV file',
      pool: 'h100-pool',
      model: 'coder',
      id: 'Qwen/Qwen3-Coder-30B-A3B-Instruct',
    },
    {
      prompt: 'This is confidential: summarize the patient record',
      pool: 'onprem-pool',
      model: 'private-chat',
      id: 'mistralai/Mistral-Small-3.2-24B-Instruct-2506',
    },
  ])('"$prompt" is answered by the $pool stub', async ({ prompt, pool, model, id }) => {
    const answer = await sendThroughEnvoy({ model: 'auto', messages: [{ role: 'user', content: prompt }] });
    expect(answer.routerHeaders).toMatchObject({ 'x-selected-pool': pool, 'x-selected-model': model });
    expect(answer.cluster).toBe(pool);
    expect(answer.forwardedBody.model).toBe(id);
    expect(answer.upstream.status).toBe(200);
    expect(answer.upstream.headers.get('x-stub-pool')).toBe(pool);
    expect(answer.upstream.headers.get('x-stub-selected-pool')).toBe(pool);
    const completion = JSON.parse(answer.upstreamText) as {
      model: string;
      choices: { message: { content: string } }[];
    };
    expect(completion.model).toBe(id);
    expect(completion.choices[0]?.message.content).toBe(`[${pool}] ${id} answered: ${prompt}`);
    expect(answer.clientHeaders).toMatchObject({ 'x-router-pool': pool, 'x-router-model': model });
  });

  it('streams SSE from the chosen pool', async () => {
    const answer = await sendThroughEnvoy({
      model: 'auto',
      stream: true,
      messages: [{ role: 'user', content: 'Refactor this typescript function, please' }],
    });
    expect(answer.cluster).toBe('h100-pool');
    expect(answer.upstream.headers.get('content-type')).toBe('text/event-stream');
    const frames = answer.upstreamText.split('\n\n').filter((frame) => frame.startsWith('data: '));
    expect(frames.at(-1)).toBe('data: [DONE]');
    const text = frames
      .slice(0, -1)
      .map((frame) => JSON.parse(frame.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((chunk) => chunk.choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe(
      '[h100-pool] Qwen/Qwen3-Coder-30B-A3B-Instruct answered: Refactor this typescript function, please',
    );
  });
});
