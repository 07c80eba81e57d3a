// What the response stage costs per request: the router's CPU for a streamed 1,000-token chat answer (vLLM chat chunks,
// one SSE frame per ext_proc message) with the stage reading the answer, against pass-through, over real gRPC on
// loopback. Each server runs in its own process (`node --import tsx`); one client process plays Envoy for all of
// them in interleaved blocks (bench/response-stage-client.ts) and reads each server's CPU from /proc during its own
// blocks. Servers:
//   (a) the router, default `response.read_body: true`: it switches the SSE body to STREAMED, Envoy sends every chunk;
//       the router added `include_usage`, so it answers the usage-only frame's chunk with nothing (stripped);
//   (a2) the same router, the client asked for the usage itself: chunks read, none rewritten;
//   (b) the router with `response: {read_body: false}`: body mode NONE, no chunk messages at all;
//   (c) the no-op ext_proc server sent the same messages as (a); (c0) the no-op sent no chunk (as (b));
//   (d) the router with the answer untracked (bench/passthrough-router.ts): STREAMED, each chunk a bare CONTINUE,
//       i.e. what the router did before the response stage — the pass-through the budget is measured against.
// Then in process: StreamProcessor driven over the same chunks, tracked vs untracked, for the stage's own CPU.
// The budget: (a) ≤ 1.15 × pass-through.
// Usage: node --import tsx bench/response-stage-cost.ts [--requests 240] [--warmup 30] [--concurrency 4]
//        [--rounds 12] [--tokens 1000] [--policy FILE] [--min-ms 400] [--json]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { createRequestRouter, type RequestRouter } from '../src/pipeline.ts';
import { loadPolicyFile } from '../src/policy/load-policy.ts';
import type { Policy } from '../src/policy/policy.ts';
import { StreamProcessor } from '../src/server/stream-processor.ts';
import { runBenchMain, runToCompletion, type ServerProcess, startServer } from './child-processes.ts';
import { integerOption } from './cli-options.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { fmt, table } from './format.ts';
import { stopTracking } from './response-passthrough.ts';
import {
  type ClientResult,
  HEADERS_ONLY_FACTOR,
  type TargetResult,
  type TargetSpec,
  type Variant,
} from './response-stage-protocol.ts';
import { type StreamedAnswer, streamedAnswer } from './streamed-answer.ts';

const HOST = '127.0.0.1';
const BUDGET = 0.15;

/** The policy used unless --policy is given: one model on one pool, no signals (request-phase work is small). */
const DEFAULT_POLICY = {
  version: 'v1',
  default_model: 'qwen3-8b',
  pools: [{ name: 'l4-pool', max_context_tokens: '32K', cost_per_hour: 0.8 }],
  models: [
    {
      name: 'qwen3-8b',
      provider_model_id: 'Qwen/Qwen3-8B',
      pools: ['l4-pool'],
      pricing: { prompt_per_1m: 0.05, completion_per_1m: 0.2 },
    },
  ],
};

interface Options {
  readonly requests: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly tokens: number;
  readonly policy: string | undefined;
  readonly minMs: number;
  readonly json: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '240' },
      warmup: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '12' },
      tokens: { type: 'string', default: '1000' },
      policy: { type: 'string' },
      'min-ms': { type: 'string', default: '400' },
      json: { type: 'boolean', default: false },
    },
  });
  return {
    requests: integerOption('requests', values.requests, 1),
    warmup: integerOption('warmup', values.warmup, 0),
    concurrency: integerOption('concurrency', values.concurrency, 1),
    rounds: integerOption('rounds', values.rounds, 1),
    tokens: integerOption('tokens', values.tokens, 1),
    policy: values.policy,
    minMs: integerOption('min-ms', values['min-ms'], 1),
    json: values.json,
  };
}

/** The policy document with `response.read_body` set, written to `file`. */
function writePolicy(source: string | undefined, readBody: boolean, file: string): void {
  const document = (
    source
      ? YAML.parse(readFileSync(path.resolve(REPO_ROOT, source), 'utf8'))
      : structuredClone(DEFAULT_POLICY)
  ) as Record<string, unknown>;
  const response = (document.response ?? {}) as Record<string, unknown>;
  document.response = { ...response, read_body: readBody };
  writeFileSync(file, YAML.stringify(document));
}

// ---------------------------------------------------------------------------------------------------------------
// Over gRPC, one process per server.

interface ServerPlan {
  readonly name: string;
  readonly label: string;
  readonly args: readonly string[];
  readonly variants: readonly { name: string; variant: Variant }[];
}

async function measureOverGrpc(options: Options, policies: { tracked: string; skipBody: string }) {
  const routerArgs = (entry: string, policy: string) => [
    entry,
    'serve',
    '--policy',
    policy,
    '--port',
    '0',
    '--host',
    HOST,
    '--admin-port',
    '0',
    // No file watching: nothing but the benchmark's streams runs in the measured process.
    '--reload-poll-ms',
    '0',
  ];
  const plans: ServerPlan[] = [
    {
      name: 'a',
      label: 'router',
      args: routerArgs('src/cli/main.ts', policies.tracked),
      variants: [
        { name: 'a', variant: 'tracked' },
        { name: 'a2', variant: 'tracked-own-usage' },
      ],
    },
    {
      name: 'b',
      label: 'router, read_body: false',
      args: routerArgs('src/cli/main.ts', policies.skipBody),
      variants: [{ name: 'b', variant: 'skip-body' }],
    },
    {
      name: 'c',
      label: 'no-op',
      args: ['bench/noop-ext-proc-server.ts', '--port', '0', '--host', HOST],
      variants: [
        { name: 'c', variant: 'noop' },
        { name: 'c0', variant: 'noop-headers-only' },
      ],
    },
    {
      name: 'd',
      label: 'router, pass-through',
      args: routerArgs('bench/passthrough-router.ts', policies.tracked),
      variants: [{ name: 'd', variant: 'untracked' }],
    },
  ];
  const servers: ServerProcess[] = [];
  try {
    for (const plan of plans) {
      const server = await startServer(plan.label, plan.args, { LOG_LEVEL: 'info' }, 60_000);
      servers.push(server);
      process.stderr.write(
        `${plan.label}: pid ${server.pid}, port ${server.port}, ready in ${fmt(server.readyMs)} ms\n`,
      );
    }
    const targets: TargetSpec[] = plans.flatMap((plan, i) => {
      const server = servers[i] as ServerProcess;
      return plan.variants.map(({ name, variant }) => ({
        name,
        address: `${HOST}:${server.port}`,
        pid: server.pid,
        variant,
      }));
    });
    const stdout = await runToCompletion([
      'bench/response-stage-client.ts',
      '--targets',
      JSON.stringify(targets),
      '--requests',
      String(options.requests),
      '--warmup',
      String(options.warmup),
      '--concurrency',
      String(options.concurrency),
      '--rounds',
      String(options.rounds),
      '--tokens',
      String(options.tokens),
    ]);
    return JSON.parse(stdout) as ClientResult;
  } catch (error) {
    for (const server of servers)
      process.stderr.write(`${server.name} log (last lines):\n${server.logTail().join('\n')}\n`);
    throw error;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// In process: the StreamProcessor alone, no gRPC.

interface InProcessFigures {
  /** CPU µs per request of onRequestHeaders + onRequestBody. */
  readonly requestUs: number;
  /** CPU µs per request of onResponseHeaders + every onResponseBody. */
  readonly responseUs: number;
}

type ProcessorKind = 'tracked' | 'tracked-own-usage' | 'untracked' | 'skip-body';

async function driveOnce(
  router: RequestRouter,
  answer: StreamedAnswer,
  kind: ProcessorKind,
  cpu: { request: number; response: number },
): Promise<void> {
  const processor = new StreamProcessor(router, {
    maxBodyBytes: 8 * 1024 * 1024,
    failOpen: false,
    onUnexpectedError: (error) => {
      throw error;
    },
  });
  const t0 = process.cpuUsage();
  processor.onRequestHeaders(new Map(Object.entries(answer.requestHeaders)), false);
  const routed = await processor.onRequestBody(answer.requestBody, true);
  if (routed.kind !== 'continue') throw new Error('in-process request was not routed');
  if (kind === 'untracked' && !stopTracking(processor))
    throw new Error('the request had no response tracking');
  const t1 = process.cpuUsage();
  const headers = await processor.onResponseHeaders(new Map(Object.entries(answer.responseHeaders)));
  const mode = headers.kind === 'continue' ? headers.modeOverride?.responseBodyMode : undefined;
  if (mode !== (kind === 'skip-body' ? 'NONE' : 'STREAMED')) throw new Error(`${kind}: body mode ${mode}`);
  let replaced = 0;
  if (kind !== 'skip-body') {
    const last = answer.chunks.length - 1;
    for (let i = 0; i <= last; i++) {
      const result = await processor.onResponseBody(answer.chunks[i] as Buffer, i === last);
      if (result.kind === 'continue' && (result.body !== undefined || result.dynamicMetadata)) replaced++;
    }
  }
  const t2 = process.cpuUsage();
  processor.release();
  // Tracked: the usage frame's chunk rewritten (stripped) and the facts on the last one; or only the facts.
  const expected = { tracked: 2, 'tracked-own-usage': 1, untracked: 0, 'skip-body': 0 }[kind];
  if (replaced !== expected)
    throw new Error(`${kind}: ${replaced} chunk answers changed, expected ${expected}`);
  cpu.request += t1.user + t1.system - t0.user - t0.system;
  cpu.response += t2.user + t2.system - t1.user - t1.system;
}

async function measureInProcess(
  options: Options,
  policies: { tracked: string; skipBody: string },
  answers: { readonly stripped: StreamedAnswer; readonly ownUsage: StreamedAnswer },
): Promise<Record<ProcessorKind, InProcessFigures>> {
  const loaded: Policy[] = [];
  try {
    const tracked = await loadPolicyFile(policies.tracked);
    loaded.push(tracked);
    const skipBody = await loadPolicyFile(policies.skipBody);
    loaded.push(skipBody);
    const routers: Record<ProcessorKind, RequestRouter> = {
      tracked: createRequestRouter(tracked),
      'tracked-own-usage': createRequestRouter(tracked),
      untracked: createRequestRouter(tracked),
      'skip-body': createRequestRouter(skipBody),
    };
    const kinds: ProcessorKind[] = ['tracked', 'tracked-own-usage', 'untracked', 'skip-body'];
    const answerOf = (kind: ProcessorKind) =>
      kind === 'tracked-own-usage' ? answers.ownUsage : answers.stripped;
    const cpu = Object.fromEntries(kinds.map((k) => [k, { request: 0, response: 0 }])) as Record<
      ProcessorKind,
      { request: number; response: number }
    >;
    const round = async () => {
      for (const kind of kinds) await driveOnce(routers[kind], answerOf(kind), kind, cpu[kind]);
    };
    for (let i = 0; i < 30; i++) await round();
    for (const kind of kinds) cpu[kind] = { request: 0, response: 0 };
    // Interleaved, so all share the same conditions; about --min-ms of CPU per kind on average.
    let runs = 0;
    const start = process.cpuUsage();
    const usedMs = () => {
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1000;
    };
    do {
      await round();
      runs++;
    } while (usedMs() < options.minMs * kinds.length || runs < 50);
    return Object.fromEntries(
      kinds.map((kind) => [
        kind,
        { requestUs: cpu[kind].request / runs, responseUs: cpu[kind].response / runs },
      ]),
    ) as Record<ProcessorKind, InProcessFigures>;
  } finally {
    for (const policy of loaded) policy.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report.

const perRequest = (t: TargetResult) => (t.serverCpuMs * 1000) / t.requests;
const mainUs = (t: TargetResult) => (t.mainThreadCpuMs * 1000) / t.requests;
const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${fmt((ratio - 1) * 100, 1)} %`;

function report(
  options: Options,
  answer: StreamedAnswer,
  grpcResult: ClientResult,
  inProcess: Record<ProcessorKind, InProcessFigures>,
): { text: string; verdict: string; failed: number } {
  const byName = new Map(grpcResult.targets.map((t) => [t.name, t]));
  const get = (name: string) => {
    const target = byName.get(name);
    if (!target) throw new Error(`no result for ${name}`);
    return target;
  };
  const [a, a2, b, c, c0, d] = ['a', 'a2', 'b', 'c', 'c0', 'd'].map(get) as [
    TargetResult,
    TargetResult,
    TargetResult,
    TargetResult,
    TargetResult,
    TargetResult,
  ];
  const us = {
    a: perRequest(a),
    a2: perRequest(a2),
    b: perRequest(b),
    c: perRequest(c),
    c0: perRequest(c0),
    d: perRequest(d),
  };
  const chunks = answer.chunks.length;
  const perChunk = (x: number) => fmt(x / chunks, 1);
  const estimate = us.b + (us.c - us.c0);
  const measuredRatio = us.a / us.d;
  const estimateRatio = us.a / estimate;
  const roundRatios = a.roundCpuUsPerRequest.map((x, i) => x / (d.roundCpuUsPerRequest[i] ?? Number.NaN));
  const lines: string[] = [];
  lines.push(
    `Streamed chat answer: ${fmt(answer.contentTokens)} content tokens, ${fmt(chunks)} SSE frames ` +
      `(one ext_proc message each), ${fmt(answer.bodyBytes)} bytes. ${fmt(a.requests)} measured requests per ` +
      `streamed server (${HEADERS_ONLY_FACTOR}× as many for (b), (c0)) in ${options.rounds} interleaved rounds ` +
      `at concurrency ${grpcResult.concurrency}, after a warm-up of ${options.warmup}. Policy: ` +
      `${options.policy ?? 'one model on one pool (built in)'}.`,
  );
  lines.push(
    `Server CPU from /proc/<pid>/stat (utime + stime, all threads) during each server's own blocks. Machine busy ` +
      `${fmt(grpcResult.machineBusyPercent)} % of one core meanwhile (this client ${fmt(grpcResult.clientCpuPercent)} %).\n`,
  );
  const row = (t: TargetResult, label: string) => [
    label,
    fmt(t.bodyMessagesPerRequest),
    fmt(perRequest(t)),
    fmt(mainUs(t)),
    t.roundCpuUsPerRequest.map((x) => fmt(x / 1000, 1)).join(' '),
    fmt(perRequest(t) / us.c, 2),
    fmt(perRequest(t) / us.d, 3),
    `${t.errors}`,
  ];
  lines.push(
    table(
      [
        'over gRPC, server process CPU',
        'body msgs/req',
        'µs / req',
        'main thread',
        'per round (ms / req)',
        '÷ (c)',
        '÷ (d)',
        'errors',
      ],
      [
        row(a, '(a) router, read_body: true (default)'),
        row(a2, '(a2) router, read_body: true, client asked for usage'),
        row(b, '(b) router, read_body: false (no body traffic)'),
        row(c, '(c) no-op, same messages as (a)'),
        row(c0, '(c0) no-op, no body messages'),
        row(d, '(d) router, answer untracked = pass-through'),
      ],
    ),
  );
  lines.push('');
  lines.push(`(a) / (c) = ${fmt(us.a / us.c, 2)}×   (a) − (c) = ${fmt(us.a - us.c)} µs per request`);
  lines.push(
    `per chunk message: no-op ((c) − (c0)) ${perChunk(us.c - us.c0)} µs, router pass-through ((d) − (b)) ` +
      `${perChunk(us.d - us.b)} µs, router reading ((a2) − (b)) ${perChunk(us.a2 - us.b)} µs, reading and ` +
      `rewriting ((a) − (b)) ${perChunk(us.a - us.b)} µs`,
  );
  lines.push('');
  const kinds: [ProcessorKind, string][] = [
    ['tracked', 'tracked, usage frame stripped, as (a)'],
    ['tracked-own-usage', 'tracked, client asked for usage, as (a2)'],
    ['untracked', 'untracked (pass-through), as (d)'],
    ['skip-body', 'read_body: false, as (b)'],
  ];
  lines.push(
    table(
      ['in process: StreamProcessor, no gRPC', 'request phases µs', 'response phases µs', 'total µs'],
      kinds.map(([kind, label]) => [
        label,
        fmt(inProcess[kind].requestUs, 1),
        fmt(inProcess[kind].responseUs, 1),
        fmt(inProcess[kind].requestUs + inProcess[kind].responseUs, 1),
      ]),
    ),
  );
  const stageUs = inProcess.tracked.responseUs - inProcess.untracked.responseUs;
  const readUs = inProcess['tracked-own-usage'].responseUs - inProcess.untracked.responseUs;
  lines.push(
    `the stage's own CPU per response (tracked − untracked response phases): ${fmt(stageUs)} µs ` +
      `(${fmt(stageUs / chunks, 2)} µs per chunk; ${fmt(readUs)} µs without stripping) = ` +
      `${fmt((stageUs / us.d) * 100, 1)} % of (d)`,
  );
  lines.push('');
  const plus = (x: number) => `${fmt(x)} µs (${pct(1 + x / us.d)})`;
  const sortedRatios = [...roundRatios].sort((x, y) => x - y);
  const median = sortedRatios[Math.floor((sortedRatios.length - 1) / 2)] as number;
  const within = (ratio: number) => ratio <= 1 + BUDGET;
  const verdict =
    within(measuredRatio) && within(median)
      ? 'HOLDS'
      : !within(measuredRatio) && !within(median)
        ? 'MISSED'
        : 'BORDERLINE (ratio of sums and median disagree; run longer: --requests 600 --rounds 20)';
  const routerExtraPerChunk = (us.d - us.b - (us.c - us.c0)) / chunks;
  lines.push(`Budget: the router's CPU per request with the response stage ≤ ${1 + BUDGET} × pass-through.`);
  lines.push(
    `  measured   pass-through = (d): the same router process and gRPC handling, the answer untracked (each chunk ` +
      `a bare CONTINUE)\n` +
      `             (a) / (d) = ${fmt(us.a)} / ${fmt(us.d)} = ${fmt(measuredRatio, 3)} (${pct(measuredRatio)}); ` +
      `per round (a and d measured back to back): median ${fmt(median, 3)}, ` +
      `${fmt(sortedRatios[0], 2)}–${fmt(sortedRatios.at(-1), 2)}\n` +
      `             of which reading the chunks (a2) − (d) = ${plus(us.a2 - us.d)}, stripping the usage frame ` +
      `from the client's stream (a) − (a2) = ${plus(us.a - us.a2)}`,
  );
  lines.push(
    `  estimated  pass-through ≈ (b) + ((c) − (c0)): the router's request-phase work + the no-op's gRPC cost of ` +
      `${fmt(chunks)} chunk messages\n` +
      `             (a) / ${fmt(estimate)} = ${fmt(estimateRatio, 3)} (${pct(estimateRatio)}); it assumes the ` +
      `router handles a chunk message as cheaply as the no-op (measured here: ${fmt(routerExtraPerChunk, 1)} µs ` +
      `per chunk more, ((d) − (b)) − ((c) − (c0))), so (d) is the better baseline`,
  );
  lines.push(
    `  in process the stage's own work is ${fmt(stageUs)} µs = ${fmt((stageUs / us.d) * 100, 1)} % of (d); over ` +
      `gRPC (a) − (d) = ${fmt(us.a - us.d)} µs (main thread alone: ${fmt(mainUs(a) - mainUs(d))} µs): the same ` +
      `work run between the gRPC messages of a busy server (colder caches, GC, larger answers when rewriting), ` +
      `which only the gRPC measurement sees`,
  );
  lines.push(
    `  verdict    ${verdict}: the response stage adds ${pct(measuredRatio)} (median of rounds ${pct(median)}) to ` +
      `pass-through; budget +${BUDGET * 100} %`,
  );
  const failed = grpcResult.targets.reduce((sum, t) => sum + t.errors, 0);
  if (failed > 0) {
    lines.push(`\n${failed} requests failed:`);
    for (const t of grpcResult.targets)
      for (const [problem, n] of Object.entries(t.problems)) lines.push(`  ${t.name}: ${n} × ${problem}`);
  }
  return { text: `${lines.join('\n')}\n`, verdict, failed };
}

async function main(): Promise<number> {
  const options = readOptions();
  const dir = mkdtempSync(path.join(tmpdir(), 'response-stage-cost-'));
  try {
    const policies = {
      tracked: path.join(dir, 'read-body.yaml'),
      skipBody: path.join(dir, 'skip-body.yaml'),
    };
    writePolicy(options.policy, true, policies.tracked);
    writePolicy(options.policy, false, policies.skipBody);
    const answer = streamedAnswer(options.tokens);
    const grpcResult = await measureOverGrpc(options, policies);
    process.stderr.write('in process: StreamProcessor tracked / untracked / read_body false\n');
    const inProcess = await measureInProcess(options, policies, {
      stripped: answer,
      ownUsage: streamedAnswer(options.tokens, true),
    });
    const { text, verdict, failed } = report(options, answer, grpcResult, inProcess);
    if (options.json)
      process.stdout.write(`${JSON.stringify({ grpc: grpcResult, inProcess, verdict }, null, 2)}\n`);
    else process.stdout.write(text);
    return failed > 0 ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBenchMain('response-stage-cost', main);
