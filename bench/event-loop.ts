// Event-loop stalls of the router while it routes huge request bodies. The router runs in its own process
// (bench/event-loop-router.ts: monitorEventLoopDelay at 1 ms resolution, reported on SIGUSR2); this process plays
// Envoy over gRPC: for each API shape (chat completions, Responses, Anthropic Messages), streaming or not, and each
// body size, it sends large bodies one after another on one stream at a time while other streams send small
// requests without pause, checks every answer, and reports the longest and p99 event-loop delay of the phase and
// the router's CPU per large body (measured with the large bodies alone, before). On a shared machine the delay also
// counts time spent waiting for a core: the "own stall" columns leave it out (bench/own-stall-monitor.ts).
//   node --import tsx bench/event-loop.ts [--policy FILE] [--sizes 64K,1M,4M,8M] [--rounds 3] [--small-streams 2]
// Without --policy the router serves policies/default.yaml with limits raised so that every body is read whole
// and routed upstream (scan limit 10M characters, a 4M-token long-context pool): the most work a body can cause.
// Target: no stall above 5 ms.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { runBenchMain, type ServerProcess, startServer } from './child-processes.ts';
import type { EventLoopReport } from './event-loop-router.ts';
import { ExtProcCall } from './ext-proc-call.ts';
import {
  type BenchProcessingResponse,
  loadExtProcDefinition,
  type ProcessMethod,
  REPO_ROOT,
} from './ext-proc-proto.ts';
import { fmt, table } from './format.ts';
import { allReady } from './grpc-js-transport.ts';
import { processCpuMs } from './proc-stats.ts';

export type BodyApi = 'chat_completions' | 'responses' | 'messages';

export interface EventLoopOptions {
  /** Policy file the router serves; default: policies/default.yaml with limits raised (see the header). */
  readonly policy?: string;
  /** Body sizes in bytes; default 64 KiB, 1, 4 and 8 MiB. */
  readonly sizes?: readonly number[];
  readonly apis?: readonly BodyApi[];
  /** `stream` values of the requests; default both. */
  readonly streaming?: readonly boolean[];
  /** Large bodies per case (more for bodies of 1 MiB and less, for the CPU figure); default 3. */
  readonly rounds?: number;
  /** Streams sending small requests during each case; default 2. */
  readonly smallStreams?: number;
  /** Progress lines; default none. */
  readonly log?: (line: string) => void;
}

export interface EventLoopRow {
  /** `small requests only` for the baseline, else `api, stream|no stream`. */
  readonly shape: string;
  readonly bodyBytes: number;
  /** Longest event-loop delay of the phase (ms). */
  readonly maxStallMs: number;
  readonly p99StallMs: number;
  /** Longest 1 ms timer interval without the time spent waiting for a core: the router's own stall (ms). */
  readonly maxOwnStallMs: number | undefined;
  readonly p99OwnStallMs: number | undefined;
  /** Longest garbage-collection pause of the router's main thread during the phase (ms). */
  readonly maxGcMs: number;
  /** Full (mark-compact) collections of the router's main thread per large body of the phase (baseline: in all). */
  readonly fullGcsPerBody: number;
  /** Router CPU (all threads) per large body, sent alone (ms); for the baseline, per small request. */
  readonly cpuMsPerBody: number | undefined;
  /** Large bodies sent (half of them alone, for the CPU figure; half next to the small requests). */
  readonly largeBodies: number;
  /** How the router answered the large bodies (`rewritten`, `immediate 503`, …). */
  readonly largeOutcome: string;
  /** Small requests answered correctly (each must be routed and rewritten) during the phase. */
  readonly smallAnswered: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 8 * MiB;
const DEFAULT_SIZES = [64 * KiB, MiB, 4 * MiB, 8 * MiB];
const API_PATHS: Record<BodyApi, string> = {
  chat_completions: '/v1/chat/completions',
  responses: '/v1/responses',
  messages: '/v1/messages',
};

const SENTENCE = 'The committee reviewed the quarterly figures and agreed to revisit the plan next month. ';

function prose(chars: number): string {
  return SENTENCE.repeat(Math.ceil(chars / SENTENCE.length)).slice(0, chars);
}

function requestJson(api: BodyApi, stream: boolean, content: string): Record<string, unknown> {
  switch (api) {
    case 'chat_completions':
      return { model: 'auto', stream, messages: [{ role: 'user', content }] };
    case 'responses':
      return { model: 'auto', stream, input: content };
    case 'messages':
      return { model: 'auto', stream, max_tokens: 256, messages: [{ role: 'user', content }] };
  }
}

/** A request body of exactly `bytes` bytes (prose content). */
export function requestBody(api: BodyApi, stream: boolean, bytes: number): Buffer {
  const overhead = Buffer.byteLength(JSON.stringify(requestJson(api, stream, '')));
  return Buffer.from(JSON.stringify(requestJson(api, stream, prose(Math.max(0, bytes - overhead)))));
}

/** policies/default.yaml with every body read whole and routable (the worst case for the event loop). */
function widePolicyText(): string {
  const doc = parseYaml(readFileSync(path.join(REPO_ROOT, 'policies/default.yaml'), 'utf8')) as {
    limits?: Record<string, unknown>;
    pools: { name: string; max_context_tokens?: unknown }[];
    models: { name: string; context_window?: unknown }[];
  };
  doc.limits = { ...doc.limits, max_scan_chars: 10_000_000, signal_budget_ms: { default: 60_000 } };
  for (const pool of doc.pools) if (pool.name === 'longctx-pool') pool.max_context_tokens = 4_000_000;
  for (const model of doc.models) if (model.name === 'long-context') model.context_window = 4_000_000;
  return stringifyYaml(doc);
}

const passThrough = (message: Buffer): Buffer => message;

class RouterClient {
  private readonly client: grpc.Client;

  constructor(
    port: number,
    private readonly method: ProcessMethod,
  ) {
    this.client = new grpc.Client(`${HOST}:${port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * MiB,
      'grpc.max_send_message_length': 64 * MiB,
      'grpc-node.flow_control_window': 64 * MiB,
    });
  }

  ready(): Promise<void> {
    return allReady([this.client]);
  }

  encodeHeaders(api: BodyApi, bodyBytes: number): Buffer {
    const headers = {
      ':method': 'POST',
      ':path': API_PATHS[api],
      ':authority': 'router.bench',
      'content-type': 'application/json',
      'content-length': String(bodyBytes),
    };
    return this.method.requestSerialize({
      request_headers: {
        headers: {
          headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
        },
      },
    });
  }

  encodeBody(body: Buffer): Buffer {
    return this.method.requestSerialize({ request_body: { body, end_of_stream: true } });
  }

  /** One request on its own stream, as Envoy sends a BUFFERED body: the answer to the body message. */
  async exchange(headers: Buffer, body: Buffer): Promise<BenchProcessingResponse> {
    const call = new ExtProcCall<Buffer>(
      this.client.makeBidiStreamRequest<Buffer, BenchProcessingResponse>(
        this.method.path,
        passThrough,
        this.method.responseDeserialize,
      ),
    );
    try {
      const headersAnswer = await call.send(headers);
      if (headersAnswer.immediate_response) return headersAnswer;
      return await call.send(body);
    } finally {
      await call.close();
    }
  }

  close(): void {
    this.client.close();
  }
}

/** `rewritten` when the router replaced the body with one that names an upstream model, else the answer's kind. */
function outcomeOf(answer: BenchProcessingResponse, expectedBytes: number): string {
  if (answer.immediate_response) return `immediate ${answer.immediate_response.status?.code ?? '?'}`;
  const body = answer.request_body?.response?.body_mutation?.body;
  if (body === undefined) return 'no body mutation';
  // A large body keeps its length give or take the rewritten fields; it must still be one JSON object.
  if (Math.abs(body.length - expectedBytes) > 4 * KiB) return `rewritten to ${body.length} bytes`;
  const model = (JSON.parse(Buffer.from(body).toString('utf8')) as { model?: unknown }).model;
  return typeof model === 'string' && model !== 'auto' ? 'rewritten' : 'rewritten without a model';
}

/** Asks the router for its event-loop report (and resets it); waits until the new one is on disk. */
async function eventLoopReport(server: ServerProcess, file: string, seq: number): Promise<EventLoopReport> {
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const report = JSON.parse(readFileSync(file, 'utf8')) as EventLoopReport;
      if (report.seq === seq) return report;
    } catch {
      // Not written yet.
    }
    if (Date.now() > deadline) throw new Error('the router did not write its event-loop report');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface SmallLoad {
  stop(): Promise<{ answered: number; failures: string[] }>;
}

/** `streams` loops each sending small chat requests back to back, every answer checked, until stopped. */
function smallLoad(client: RouterClient, streams: number): SmallLoad {
  const bodyBytes = requestBody('chat_completions', false, 600);
  const body = client.encodeBody(bodyBytes);
  const headers = client.encodeHeaders('chat_completions', bodyBytes.length);
  let running = true;
  let answered = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: streams }, async () => {
    while (running) {
      try {
        const outcome = outcomeOf(await client.exchange(headers, body), bodyBytes.length);
        if (outcome === 'rewritten') answered++;
        else failures.push(outcome);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { answered, failures };
    },
  };
}

function roundsFor(bytes: number, rounds: number): number {
  if (bytes <= 64 * KiB) return Math.max(rounds, 20);
  if (bytes <= MiB) return Math.max(rounds, 6);
  return rounds;
}

export async function measureEventLoopStalls(options: EventLoopOptions = {}): Promise<EventLoopRow[]> {
  const log = options.log ?? (() => {});
  const workDir = mkdtempSync(path.join(tmpdir(), 'event-loop-bench-'));
  const reportFile = path.join(workDir, 'event-loop.json');
  let policyFile = options.policy;
  if (policyFile === undefined) {
    policyFile = path.join(workDir, 'policy.yaml');
    writeFileSync(policyFile, widePolicyText());
  }
  const compiled = !import.meta.url.endsWith('.ts');
  const entry = compiled ? 'dist/bench/event-loop-router.js' : 'bench/event-loop-router.ts';
  const server = await startServer(
    'router',
    [
      entry,
      'serve',
      '--policy',
      policyFile,
      '--port',
      '0',
      '--host',
      HOST,
      '--max-body-bytes',
      String(MAX_BODY_BYTES),
    ],
    { EVENT_LOOP_REPORT: reportFile, LOG_LEVEL: 'info' },
    60_000,
  );
  const client = new RouterClient(server.port, loadExtProcDefinition().process);
  const rows: EventLoopRow[] = [];
  let seq = 0;
  try {
    await client.ready();
    const smallStreams = options.smallStreams ?? 2;
    const measure = async (work: () => Promise<void>) => {
      await eventLoopReport(server, reportFile, ++seq);
      const cpuBefore = processCpuMs(server.pid);
      const load = smallLoad(client, smallStreams);
      await work();
      const small = await load.stop();
      const report = await eventLoopReport(server, reportFile, ++seq);
      if (small.failures.length > 0) throw new Error(`small requests failed: ${small.failures[0]}`);
      return { report, cpuMs: processCpuMs(server.pid) - cpuBefore, smallAnswered: small.answered };
    };
    // Warm-up (first requests compile the hot paths), then the baseline: small requests alone, for their CPU per
    // request and the router's stalls without large bodies.
    await measure(() => new Promise((resolve) => setTimeout(resolve, 1_000)));
    const baseline = await measure(() => new Promise((resolve) => setTimeout(resolve, 2_000)));
    const smallCpuMs = baseline.cpuMs / Math.max(1, baseline.smallAnswered);
    rows.push({
      shape: 'small requests only',
      bodyBytes: 0,
      maxStallMs: baseline.report.maxMs,
      p99StallMs: baseline.report.p99Ms,
      maxOwnStallMs: baseline.report.ownMaxMs,
      p99OwnStallMs: baseline.report.ownP99Ms,
      maxGcMs: baseline.report.gcMaxMs,
      fullGcsPerBody: baseline.report.fullGcs,
      cpuMsPerBody: smallCpuMs,
      largeBodies: 0,
      largeOutcome: '-',
      smallAnswered: baseline.smallAnswered,
    });
    for (const bytes of options.sizes ?? DEFAULT_SIZES) {
      for (const api of options.apis ?? (['chat_completions', 'responses', 'messages'] as const)) {
        for (const stream of options.streaming ?? [false, true]) {
          const bodyBytes = requestBody(api, stream, bytes);
          const headers = client.encodeHeaders(api, bodyBytes.length);
          const body = client.encodeBody(bodyBytes);
          // Warm-up (the body-decoding worker starts on the first large body).
          await client.exchange(headers, body);
          const rounds = roundsFor(bytes, options.rounds ?? 3);
          const outcomes = new Set<string>();
          // The router's CPU per body: large bodies alone, one after another.
          const cpuBefore = processCpuMs(server.pid);
          for (let i = 0; i < rounds; i++)
            outcomes.add(outcomeOf(await client.exchange(headers, body), bodyBytes.length));
          const cpuMsPerBody = (processCpuMs(server.pid) - cpuBefore) / rounds;
          // The stalls: the same bodies while other streams send small requests.
          const phase = await measure(async () => {
            for (let i = 0; i < rounds; i++)
              outcomes.add(outcomeOf(await client.exchange(headers, body), bodyBytes.length));
          });
          const row: EventLoopRow = {
            shape: `${api}, ${stream ? 'stream' : 'no stream'}`,
            bodyBytes: bodyBytes.length,
            maxStallMs: phase.report.maxMs,
            p99StallMs: phase.report.p99Ms,
            maxOwnStallMs: phase.report.ownMaxMs,
            p99OwnStallMs: phase.report.ownP99Ms,
            maxGcMs: phase.report.gcMaxMs,
            fullGcsPerBody: phase.report.fullGcs / rounds,
            cpuMsPerBody,
            largeBodies: 2 * rounds,
            largeOutcome: [...outcomes].join(', '),
            smallAnswered: phase.smallAnswered,
          };
          rows.push(row);
          log(
            `${row.shape}, ${fmt(bytes / KiB)} KiB: max ${fmt(row.maxStallMs, 1)} ms, own stall max ${fmt(row.maxOwnStallMs, 1)} ms`,
          );
        }
      }
    }
  } finally {
    client.close();
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  return rows;
}

function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${fmt(bytes / MiB, 1)} MiB` : `${fmt(bytes / KiB)} KiB`;
}

export function eventLoopTable(rows: readonly EventLoopRow[]): string {
  return table(
    [
      'body',
      'size',
      'max stall ms',
      'p99 ms',
      'max own stall ms',
      'p99 own stall ms',
      'max GC ms',
      'full GCs/body',
      'router CPU/body ms',
      'large answered',
      'small answered',
    ],
    rows.map((row) => [
      row.shape,
      row.bodyBytes > 0 ? sizeLabel(row.bodyBytes) : '-',
      fmt(row.maxStallMs, 1),
      fmt(row.p99StallMs, 1),
      fmt(row.maxOwnStallMs, 1),
      fmt(row.p99OwnStallMs, 1),
      fmt(row.maxGcMs, 1),
      fmt(row.fullGcsPerBody, 2),
      fmt(row.cpuMsPerBody, 1),
      row.largeBodies > 0 ? `${row.largeBodies} ${row.largeOutcome}` : '-',
      String(row.smallAnswered),
    ]),
  );
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KM]?)$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = match[2]?.toUpperCase() === 'M' ? MiB : match[2]?.toUpperCase() === 'K' ? KiB : 1;
  return Math.round(Number(match[1]) * unit);
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  await runBenchMain('event-loop', async () => {
    const { values } = parseArgs({
      options: {
        policy: { type: 'string' },
        sizes: { type: 'string' },
        rounds: { type: 'string' },
        'small-streams': { type: 'string' },
      },
    });
    const rows = await measureEventLoopStalls({
      ...(values.policy !== undefined && { policy: values.policy }),
      ...(values.sizes !== undefined && { sizes: values.sizes.split(',').map(parseSize) }),
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values['small-streams'] !== undefined && { smallStreams: Number(values['small-streams']) }),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    console.log(eventLoopTable(rows));
    const worst = Math.max(...rows.map((row) => row.maxStallMs));
    const worstOwn = Math.max(...rows.map((row) => row.maxOwnStallMs ?? Number.NaN));
    console.log(
      `\nlongest stall ${fmt(worst, 1)} ms, longest own stall ${fmt(worstOwn, 1)} ms (target: none above 5 ms)`,
    );
    return 0;
  });
}
