// CPU cost of the response stage on a realistic streamed answer: StreamResponseReader over a 1,000-token vLLM chat
// SSE response (include_usage), delivered as Envoy hands it over (one frame per chunk, or 16 KiB chunks), with
// usage-only stripping on and off, against a pass-through loop that only touches the chunks. Also the whole-JSON
// path (readJsonResponse) on a typical answer and on a body at the 8 MiB limit. Prints µs per response and ratios.
// Usage: node --import tsx bench/response-stage.ts [--min-ms 300] [--tokens 1000]
import { readJsonResponse } from '../src/response/json-response.ts';
import { StreamResponseReader } from '../src/response/stream-reader.ts';
import {
  anthropicStream,
  bytes,
  chunksOf,
  framePerChunk,
  responsesStream,
  type Stream,
  tokens,
  vllmChatStream,
} from '../test/unit/response/streams.ts';
import { fmt, table } from './format.ts';

interface Args {
  readonly minMs: number;
  readonly tokens: number;
}

function parseArgs(argv: readonly string[]): Args {
  let minMs = 300;
  let count = 1000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--min-ms') minMs = Number(argv[++i]);
    else if (arg === '--tokens') count = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}; usage: response-stage.ts [--min-ms 300] [--tokens 1000]`);
  }
  if (!(minMs > 0)) throw new Error('--min-ms must be positive');
  if (!Number.isSafeInteger(count) || count < 1) throw new Error('--tokens must be a positive integer');
  return { minMs, tokens: count };
}

/** CPU µs (user + system) per call of `run`, repeated until `minMs` of CPU, after a warm-up. */
function cpuMicros(run: () => void, minMs: number): number {
  for (let i = 0; i < 20; i++) run();
  let calls = 0;
  const start = process.cpuUsage();
  let used = 0;
  do {
    for (let i = 0; i < 10; i++) run();
    calls += 10;
    const delta = process.cpuUsage(start);
    used = delta.user + delta.system;
  } while (used < minMs * 1000);
  return used / calls;
}

let sink = 0;

/** The baseline: what forwarding costs when nothing reads the body (touch every chunk once). */
function passThrough(chunks: readonly Uint8Array[]): void {
  for (const chunk of chunks) sink += chunk.length + (chunk[0] ?? 0);
}

function readAll(api: Stream['api'], chunks: readonly Uint8Array[], strip: boolean): void {
  let clock = 0;
  const reader = new StreamResponseReader(api, { stripUsageOnlyFrames: strip, now: () => ++clock });
  for (const chunk of chunks) sink += (reader.push(chunk) ?? chunk).length;
  sink += reader.end()?.length ?? 0;
  if (reader.usage === undefined || !reader.done) throw new Error('the benchmark stream was not read');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const stream = vllmChatStream({ contentTokens: tokens(args.tokens) });
  const body = bytes(stream);
  const chunkings: [string, Uint8Array[]][] = [
    ['one frame per chunk', framePerChunk(stream)],
    ['16 KiB chunks', chunksOf(body, 16 * 1024)],
  ];
  console.log(
    `Streamed chat answer: ${fmt(args.tokens)} tokens, ${fmt(stream.frames.length)} SSE frames, ${fmt(body.length)} bytes`,
  );
  const rows: string[][] = [];
  for (const [label, chunks] of chunkings) {
    const base = cpuMicros(() => passThrough(chunks), args.minMs);
    rows.push([`${label} (${fmt(chunks.length)} chunks): pass-through`, fmt(base, 2), '-', '1.0']);
    for (const strip of [false, true]) {
      const us = cpuMicros(() => readAll('chat_completions', chunks, strip), args.minMs);
      rows.push([
        `${label}: reader, stripping ${strip ? 'on' : 'off'}`,
        fmt(us, 1),
        fmt((us * 1000) / stream.frames.length, 0),
        fmt(us / base, 0),
      ]);
    }
  }
  console.log(table(['case', 'CPU µs / response', 'ns / frame', '× pass-through'], rows));

  // The other streamed APIs on the same text (the adapters' builders cut it into deltas of ~48 characters).
  const text = tokens(args.tokens).join('');
  const others: [string, Stream][] = [
    ['Responses', responsesStream(text)],
    ['Anthropic Messages', anthropicStream(text)],
  ];
  const otherRows = others.map(([label, s]) => {
    const chunks = framePerChunk(s);
    const us = cpuMicros(() => readAll(s.api, chunks, false), args.minMs);
    return [`${label} (${fmt(s.frames.length)} events)`, fmt(us, 1), fmt((us * 1000) / s.frames.length, 0)];
  });
  console.log(
    `\n${table(['other APIs, one event per chunk', 'CPU µs / response', 'ns / frame'], otherRows)}`,
  );

  // Whole JSON answers: a typical one, and one at the default 8 MiB limit (the longest single parse the stage does).
  const answer = (content: string) =>
    Buffer.from(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'Qwen/Qwen3-8B',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 37, completion_tokens: args.tokens, total_tokens: 37 + args.tokens },
      }),
    );
  const typical = answer(text);
  const limit = answer('x'.repeat(8 * 1024 * 1024 - 400));
  const jsonRows = [
    ['typical', typical],
    ['at the 8 MiB limit', limit],
  ].map(([label, json]) => {
    const bodyBytes = json as Buffer;
    const us = cpuMicros(() => {
      const result = readJsonResponse('chat_completions', bodyBytes, 'application/json', undefined);
      if (!result.parsed) throw new Error('the benchmark body was not read');
    }, args.minMs);
    return [`${label as string} (${fmt(bodyBytes.length)} bytes)`, fmt(us, 1)];
  });
  console.log(`\n${table(['whole JSON answer', 'CPU µs / response'], jsonRows)}`);
  if (sink === 0) console.log('');
}

main();
