// Client process of bench/response-stage-cost.ts: plays Envoy for streamed chat requests against several ext_proc
// servers (each in its own process), in interleaved blocks so every server sees the same machine conditions, and
// measures each server's CPU (/proc/<pid>/stat) during its own blocks only. Per request, on one ext_proc stream:
// request headers, request body, response headers, then the SSE body one frame per message (each sent after the
// previous answer, as chunks arriving at token pace are), then half-close. Messages are pre-serialized.
// Prints one JSON object (ClientResult) on stdout; progress on stderr.
// Usage: node --import tsx bench/response-stage-client.ts --targets JSON [--requests 240] [--warmup 30]
//        [--concurrency 4] [--rounds 12] [--tokens 1000]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { integerOption } from './cli-options.ts';
import { ExtProcCall } from './ext-proc-call.ts';
import {
  type BenchProcessingRequest,
  type BenchProcessingResponse,
  loadExtProcDefinition,
} from './ext-proc-proto.ts';
import { allReady } from './grpc-js-transport.ts';
import { clockTicksPerSecond, machineBusyMs, processCpuMs } from './proc-stats.ts';
import {
  type ClientResult,
  HEADERS_ONLY_FACTOR,
  type TargetSpec,
  type Variant,
} from './response-stage-protocol.ts';
import { streamedAnswer } from './streamed-answer.ts';

type Answer = BenchProcessingResponse;

interface Messages {
  /** Bytes the client must receive when the router strips the usage-only frame. */
  readonly strippedBytes: number;
  readonly requestHeaders: Buffer;
  readonly requestBody: Buffer;
  readonly responseHeaders: Buffer;
  /** Encoded response_body messages, and the body bytes each carries. */
  readonly chunks: readonly Buffer[];
  readonly chunkBytes: readonly number[];
}

const passThrough = (message: Buffer): Buffer => message;

/** User + system CPU of the main thread of `pid` (its task id is the pid), ms; the rest is V8 and libuv helpers. */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond();
}

const headersOnly = (variant: Variant) => variant === 'skip-body' || variant === 'noop-headers-only';

function progress(message: string): void {
  process.stderr.write(`  [client] ${message}\n`);
}

function encodeMessages(
  tokens: number,
  clientAsksUsage: boolean,
  encode: (message: BenchProcessingRequest) => Buffer,
) {
  const answer = streamedAnswer(tokens, clientAsksUsage);
  const headerList = (headers: Readonly<Record<string, string>>) => ({
    headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value, 'utf8') })),
  });
  const messages: Messages = {
    strippedBytes: answer.strippedBytes,
    requestHeaders: encode({
      request_headers: { headers: headerList(answer.requestHeaders), end_of_stream: false },
    }),
    requestBody: encode({ request_body: { body: answer.requestBody, end_of_stream: true } }),
    responseHeaders: encode({
      response_headers: { headers: headerList(answer.responseHeaders), end_of_stream: false },
    }),
    chunks: answer.chunks.map((body, i) =>
      encode({ response_body: { body, end_of_stream: i === answer.chunks.length - 1 } }),
    ),
    chunkBytes: answer.chunks.map((body) => body.length),
  };
  return { answer, messages };
}

function hasSelectedPool(answer: Answer): boolean {
  return (answer.request_body?.response?.header_mutation?.set_headers ?? []).some(
    (option) => option.header?.key === 'x-selected-pool',
  );
}

/** Runs one request; returns the number of body messages sent, or throws a short problem description. */
async function runRequest(
  client: grpc.Client,
  method: ReturnType<typeof loadExtProcDefinition>['process'],
  messages: Messages,
  variant: Variant,
): Promise<number> {
  const call = client.makeBidiStreamRequest<Buffer, Answer>(
    method.path,
    passThrough,
    method.responseDeserialize,
  );
  const exchange = new ExtProcCall(call);
  const router = !variant.startsWith('noop');
  let sent = 0;
  try {
    const headers = await exchange.send(messages.requestHeaders);
    if (!headers.request_headers) throw new Error(`request_headers: answer ${headers.response ?? 'none'}`);
    const body = await exchange.send(messages.requestBody);
    if (!body.request_body) throw new Error(`request_body: answer ${body.response ?? 'none'}`);
    if (router && !hasSelectedPool(body)) throw new Error('request_body: not routed (no x-selected-pool)');
    const responseHeaders = await exchange.send(messages.responseHeaders);
    if (!responseHeaders.response_headers)
      throw new Error(`response_headers: answer ${responseHeaders.response ?? 'none'}`);
    const mode = responseHeaders.mode_override?.response_body_mode;
    const expectedMode = variant === 'skip-body' ? 'NONE' : 'STREAMED';
    if (router && mode !== expectedMode)
      throw new Error(`response_headers: body mode ${mode ?? 'unchanged'}, expected ${expectedMode}`);
    if (variant === 'skip-body' && !responseHeaders.dynamic_metadata)
      throw new Error('response_headers: no dynamic metadata with read_body off');
    if (variant === 'skip-body' || variant === 'noop-headers-only') return 0;
    let mutations = 0;
    let forwarded = 0;
    let metadata = 0;
    for (const [i, chunk] of messages.chunks.entries()) {
      const answer = await exchange.send(chunk);
      sent++;
      if (!answer.response_body) throw new Error(`response_body: answer ${answer.response ?? 'none'}`);
      const mutation = answer.response_body.response?.body_mutation;
      if (mutation) {
        mutations++;
        forwarded += mutation.body?.length ?? 0;
      } else {
        forwarded += messages.chunkBytes[i] ?? 0;
      }
      if (answer.dynamic_metadata) metadata++;
    }
    const expect = (what: string, ok: boolean) => {
      if (ok) return;
      const got = `${mutations} body mutations (${forwarded} bytes to the client) and ${metadata} metadata answers`;
      throw new Error(`${variant}: ${got}, expected ${what}`);
    };
    // Stripping: the chunk of the usage-only frame is answered with nothing; every other chunk goes on unchanged.
    if (variant === 'tracked')
      expect(
        `1 (${messages.strippedBytes} bytes) and 1`,
        mutations === 1 && forwarded === messages.strippedBytes && metadata === 1,
      );
    if (variant === 'tracked-own-usage') expect('0 and 1', mutations === 0 && metadata === 1);
    if (variant === 'untracked') expect('none', mutations === 0 && metadata === 0);
    return sent;
  } finally {
    await exchange.close();
  }
}

class Target {
  readonly clients: grpc.Client[];
  private next = 0;
  requests = 0;
  errors = 0;
  cpuMs = 0;
  mainCpuMs = 0;
  wallMs = 0;
  bodyMessages = 0;
  readonly rounds: number[] = [];
  readonly problems = new Map<string, number>();

  constructor(readonly spec: TargetSpec) {
    // Two HTTP/2 connections, as two Envoy workers hold.
    this.clients = [0, 1].map(
      (index) =>
        new grpc.Client(spec.address, grpc.credentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
          'bench.channel_index': index,
          'grpc-node.flow_control_window': 64 * 1024 * 1024,
        }),
    );
  }

  client(): grpc.Client {
    return this.clients[this.next++ % this.clients.length] as grpc.Client;
  }

  ready(): Promise<void> {
    return allReady(this.clients);
  }
}

/** `count` requests at `concurrency`; returns the body messages sent and the failures (problem → count). */
async function runBlock(
  target: Target,
  method: ReturnType<typeof loadExtProcDefinition>['process'],
  messages: Messages,
  count: number,
  concurrency: number,
): Promise<{ bodyMessages: number; errors: number; problems: Map<string, number> }> {
  let started = 0;
  let bodyMessages = 0;
  let errors = 0;
  const problems = new Map<string, number>();
  const worker = async () => {
    while (started < count) {
      started++;
      try {
        const sent = await runRequest(target.client(), method, messages, target.spec.variant);
        bodyMessages += sent;
      } catch (error) {
        errors++;
        const problem = error instanceof Error ? error.message : String(error);
        problems.set(problem, (problems.get(problem) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { bodyMessages, errors, problems };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string' },
      requests: { type: 'string', default: '240' },
      warmup: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '12' },
      tokens: { type: 'string', default: '1000' },
    },
  });
  if (!values.targets) throw new Error('usage: response-stage-client.ts --targets JSON');
  const requests = integerOption('requests', values.requests, 1);
  const warmup = integerOption('warmup', values.warmup, 0);
  const concurrency = integerOption('concurrency', values.concurrency, 1);
  const rounds = Math.min(integerOption('rounds', values.rounds, 1), requests);
  const tokens = integerOption('tokens', values.tokens, 1);
  const specs = JSON.parse(values.targets) as TargetSpec[];
  const { process: method } = loadExtProcDefinition();
  const encode = method.requestSerialize as (m: BenchProcessingRequest) => Buffer;
  const { answer, messages } = encodeMessages(tokens, false, encode);
  const ownUsage = encodeMessages(tokens, true, encode).messages;
  const messagesOf = (target: Target) => (target.spec.variant === 'tracked-own-usage' ? ownUsage : messages);
  const targets = specs.map((spec) => new Target(spec));
  try {
    await Promise.all(targets.map((target) => target.ready()));
    for (const target of targets) {
      const count = warmup * (headersOnly(target.spec.variant) ? HEADERS_ONLY_FACTOR : 1);
      progress(`${target.spec.name}: warm-up, ${count} requests`);
      const warm = await runBlock(target, method, messagesOf(target), count, concurrency);
      if (warm.errors > 0) {
        const [problem] = warm.problems.keys();
        throw new Error(`${target.spec.name}: ${warm.errors} failed warm-up requests (${problem})`);
      }
    }
    const machineBefore = machineBusyMs();
    const ownBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (let round = 0; round < rounds; round++) {
      const share = Math.floor(requests / rounds) + (round < requests % rounds ? 1 : 0);
      // Rotate the order so no server always runs first (or right after the heaviest one).
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(round + i) % targets.length] as Target;
        const count = share * (headersOnly(target.spec.variant) ? HEADERS_ONLY_FACTOR : 1);
        const cpuBefore = processCpuMs(target.spec.pid);
        const mainBefore = mainThreadCpuMs(target.spec.pid);
        const started = performance.now();
        const block = await runBlock(target, method, messagesOf(target), count, concurrency);
        const cpuMs = processCpuMs(target.spec.pid) - cpuBefore;
        target.wallMs += performance.now() - started;
        target.cpuMs += cpuMs;
        target.mainCpuMs += mainThreadCpuMs(target.spec.pid) - mainBefore;
        target.requests += count;
        target.errors += block.errors;
        target.bodyMessages += block.bodyMessages;
        target.rounds.push((cpuMs * 1000) / count);
        for (const [problem, n] of block.problems)
          target.problems.set(problem, (target.problems.get(problem) ?? 0) + n);
      }
      progress(`round ${round + 1}/${rounds} done`);
    }
    const wallMs = performance.now() - wallBefore;
    const own = process.cpuUsage(ownBefore);
    const result: ClientResult = {
      frames: answer.chunks.length,
      bodyBytes: answer.bodyBytes,
      concurrency,
      targets: targets.map((t) => ({
        name: t.spec.name,
        variant: t.spec.variant,
        requests: t.requests,
        errors: t.errors,
        problems: Object.fromEntries(t.problems),
        serverCpuMs: t.cpuMs,
        mainThreadCpuMs: t.mainCpuMs,
        roundCpuUsPerRequest: t.rounds,
        wallMs: t.wallMs,
        bodyMessagesPerRequest: t.bodyMessages / Math.max(1, t.requests - t.errors),
      })),
      machineBusyPercent: ((machineBusyMs() - machineBefore) / wallMs) * 100,
      clientCpuPercent: ((own.user + own.system) / 1000 / wallMs) * 100,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const target of targets) for (const client of target.clients) client.close();
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`response-stage-client: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
