// End to end with a real Prometheus server: it scrapes the router's admin /metrics while requests are routed
// over real gRPC, and its query API returns the request counts per decision. Prometheus comes from the Debian
// package (scripts/prometheus.sh installs it when missing, never starting its service) and runs on loopback only.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../src/telemetry/metric-names.ts';
import { createExtProcClient, runHttpExchange, setHeaders } from '../helpers/ext-proc-client.ts';
import { type ServingRouter, startRouterProcess } from '../helpers/router-process.ts';

const ensured = spawnSync('scripts/prometheus.sh', ['ensure'], { encoding: 'utf8', timeout: 300_000 });
const prometheusBinary = ensured.status === 0 ? ensured.stdout.trim().split('\n').pop() : undefined;
const skipReason = prometheusBinary
  ? undefined
  : `prometheus is not available: ${(ensured.stderr || ensured.error?.message || '').trim()}`;
if (skipReason) console.warn(`test/e2e/prometheus.test.ts skipped: ${skipReason}`);

const ALERTS_FILE = path.resolve('deploy/prometheus/alerts.yaml');
const CODE_PROMPT = 'Fix this python function: def f(x): return x+';
const GENERAL_PROMPT = 'What is a good name for a cat?';
const CODE_REQUESTS = 5;
const GENERAL_REQUESTS = 3;

interface PromVector {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

let workDir: string;
let router: ServingRouter | undefined;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let promBase: string;
let adminPort: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\nprometheus log:\n${prometheusLog}`,
  );
}

async function query(promql: string): Promise<PromVector[]> {
  const response = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as {
    status: string;
    data: { resultType: string; result: PromVector[] };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

function startPrometheus(binary: string, port: number, target: string): ChildProcess {
  const configFile = path.join(workDir, 'prometheus.yml');
  writeFileSync(
    configFile,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(ALERTS_FILE)}`,
      'scrape_configs:',
      '  - job_name: semantic-router',
      '    static_configs:',
      `      - targets: [${JSON.stringify(target)}]`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (chunk: Buffer) => {
    prometheusLog += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return child;
}

async function stopByPid(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function route(client: grpc.Client, content: string): Promise<string | undefined> {
  const result = await runHttpExchange(client, {
    body: { model: 'auto', messages: [{ role: 'user', content }] },
  });
  return setHeaders(result.requestBody?.request_body?.response?.header_mutation)['x-selected-model'];
}

describe('Prometheus scraping the router', () => {
  beforeAll(async () => {
    if (skipReason) return;
    workDir = mkdtempSync(path.join(tmpdir(), 'router-prometheus-'));
    router = await startRouterProcess(['--policy', 'policies/default.yaml', '--admin-port', '0']);
    const match = /"adminPort":(\d+)/.exec(router.logs());
    if (!match) throw new Error(`router did not log its admin port:\n${router.logs()}`);
    adminPort = Number(match[1]);
    const port = await freePort();
    promBase = `http://127.0.0.1:${port}`;
    prometheus = startPrometheus(prometheusBinary as string, port, `127.0.0.1:${adminPort}`);
    await waitFor(
      'prometheus to be ready',
      async () => ((await fetch(`${promBase}/-/ready`)).ok ? true : undefined),
      15_000,
    );
  }, 30_000);

  afterAll(async () => {
    await stopByPid(prometheus);
    await router?.stop('SIGTERM');
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it.skipIf(skipReason)('scrapes the admin endpoint and loads the alert rules', async () => {
    const up = await waitFor(
      'the router target to be up',
      async () => {
        const result = await query('up{job="semantic-router"}');
        return result[0]?.value[1] === '1' ? result : undefined;
      },
      10_000,
    );
    expect(up[0]?.metric.instance).toBe(`127.0.0.1:${adminPort}`);
    const rules = (await (await fetch(`${promBase}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name)).toEqual(
      expect.arrayContaining(['RouterDown', 'RouterHighErrorRate', 'RouterNoHealthyPool']),
    );
    expect(loaded.filter((rule) => rule.health === 'err')).toEqual([]);
  });

  it.skipIf(skipReason)('returns the request counts per decision from its query API', async () => {
    const client = createExtProcClient(router?.port as number);
    try {
      const models: (string | undefined)[] = [];
      for (let i = 0; i < CODE_REQUESTS; i++) models.push(await route(client, CODE_PROMPT));
      for (let i = 0; i < GENERAL_REQUESTS; i++) models.push(await route(client, GENERAL_PROMPT));
      expect(models).toEqual([
        ...Array(CODE_REQUESTS).fill('coder'),
        ...Array(GENERAL_REQUESTS).fill('small-chat'),
      ]);
    } finally {
      client.close();
    }
    const promql = `sum by (decision) (${METRIC.requests})`;
    const expected = { code: String(CODE_REQUESTS), general: String(GENERAL_REQUESTS) };
    const counts = await waitFor(
      `${promql} to return ${JSON.stringify(expected)}`,
      async () => {
        const result = await query(promql);
        const byDecision = Object.fromEntries(
          result.map((sample) => [sample.metric.decision, sample.value[1]]),
        );
        return byDecision.code === expected.code && byDecision.general === expected.general
          ? byDecision
          : undefined;
      },
      15_000,
    );
    expect(counts).toEqual(expected);
    const byModel = await query(`sum by (model, pool) (${METRIC.requests}{decision="code"})`);
    expect(byModel.map((sample) => sample.metric)).toEqual([{ model: 'coder', pool: 'h100-pool' }]);
  });

  // Runs after the routed requests above, so the per-request histograms have series.
  it.skipIf(skipReason)(
    'stores series under exactly the names in metric-names.ts (what dashboards query)',
    async () => {
      const response = await fetch(`${promBase}/api/v1/label/__name__/values`);
      const names = ((await response.json()) as { data: string[] }).data.filter((name) =>
        name.startsWith('router_'),
      );
      const exported = new Set<string>(Object.values(METRIC));
      const unknown = names.filter(
        (name) =>
          !exported.has(name) &&
          !['_bucket', '_sum', '_count'].some((s) => exported.has(name.replace(s, ''))),
      );
      expect(unknown).toEqual([]);
      for (const name of [
        METRIC.requests,
        `${METRIC.requestDuration}_bucket`,
        `${METRIC.stageDuration}_bucket`,
        METRIC.policyGeneration,
      ])
        expect(names).toContain(name);
    },
  );
});
