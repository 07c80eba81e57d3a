// The longest synchronous steps of the large-body path, timed in-process (no child, no gRPC): what one event-loop
// turn of the router costs for a body of --size bytes, in interleaved rounds, median and fastest. On a shared
// machine the median also counts waiting for a core; the fastest is the step's own cost.
//   - rewrite, members scanned: rewriteTopLevel finding the top-level members itself (small bodies, or no worker);
//   - rewrite, members from the worker: the rewrite of a large body the worker decoded, into new memory;
//   - rewrite, members and space from the worker: what the router does for it, into the memory the worker prepared;
//   - answer framed in place / answer copied in slices (longest turn): the ext_proc answer of the rewritten body;
//   - reply deserialisation: the decoded body arriving from the worker (structured clone);
//   - body decoded by the worker (longest turn): OffLoopBodyDecoder.decode end to end, the reply's deserialisation
//     included (a worker of its own, started before the rounds).
//   node --import tsx bench/event-loop-turns.ts [--size 8M] [--rounds 15]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { yieldToEventLoop } from '../src/event-loop.ts';
import { rememberTopLevelMembers, rewriteTopLevel, topLevelMembers } from '../src/request/body-rewrite.ts';
import { OffLoopBodyDecoder } from '../src/request/off-loop-body-decoder.ts';
import { prepareRewriteSpace, rememberRewriteSpace } from '../src/request/rewrite-space.ts';
import { joinShared } from '../src/request/shared-bytes.ts';
import { encodeAnswerInSlices } from '../src/server/response-encoder.ts';
import { fmt, table } from './format.ts';

const PROSE = 'The committee reviewed the quarterly figures and agreed to revisit the plan next month. ';
const CODE = 'const value = table["key"]; print("a \\"quoted\\" word")\n';

function body(unit: string, bytes: number): { bytes: Buffer; original: Record<string, unknown> } {
  const content = unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
  const original = { model: 'auto', stream: false, messages: [{ role: 'user', content }] };
  return { bytes: Buffer.from(JSON.stringify(original)), original };
}

/** Milliseconds `step` holds the thread; for an async step, its longest synchronous stretch between awaits. */
async function longestTurn(step: () => unknown): Promise<number> {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await yieldToEventLoop();
  last = performance.now();
  await step();
  running = false;
  await yieldToEventLoop();
  return Math.max(longest, performance.now() - last);
}

export async function measureLargeBodyTurns(sizeBytes: number, rounds: number): Promise<string> {
  const cases: [string, () => Promise<number>][] = [];
  for (const [label, unit] of [
    ['prose', PROSE],
    ['code', CODE],
  ] as const) {
    const { bytes, original } = body(unit, sizeBytes);
    const known = Buffer.from(bytes);
    rememberTopLevelMembers(known, topLevelMembers(known) ?? []);
    const patched = { ...original, model: 'meta-llama/Llama-4-Scout' };
    cases.push([
      `rewrite ${label}, members scanned`,
      () => longestTurn(() => rewriteTopLevel(bytes, original, patched)),
    ]);
    cases.push([
      `rewrite ${label}, members from the worker`,
      () => longestTurn(() => rewriteTopLevel(known, original, patched)),
    ]);
    cases.push([
      `rewrite ${label}, members and space from the worker`,
      () => {
        const space = prepareRewriteSpace(known.length);
        if (space) rememberRewriteSpace(known, space);
        return longestTurn(() => rewriteTopLevel(known, original, patched));
      },
    ]);
  }
  const { bytes, original } = body(PROSE, sizeBytes);
  const answerOf = (rewritten: Buffer) =>
    encodeAnswerInSlices('request_body', {
      kind: 'continue',
      body: rewritten,
      setHeaders: [['content-length', String(rewritten.length)]],
      dynamicMetadata: { 'io.envoy.semantic_router': { decision: 'long_context', model: 'long-context' } },
    });
  const patched = { ...original, model: 'meta-llama/Llama-4-Scout' };
  cases.push([
    'answer framed in place',
    async () => {
      const rewritten = rewriteTopLevel(bytes, original, patched);
      return longestTurn(() => answerOf(rewritten));
    },
  ]);
  cases.push([
    'answer copied in slices (longest turn)',
    async () => {
      const rewritten = Buffer.from(rewriteTopLevel(bytes, original, patched));
      return longestTurn(() => answerOf(rewritten));
    },
  ]);
  const { port1, port2 } = new MessageChannel();
  cases.push([
    'reply deserialisation',
    async () => {
      port2.postMessage({ body: original });
      return longestTurn(() => receiveMessageOnPort(port1));
    },
  ]);
  const decoder = new OffLoopBodyDecoder();
  const shared = await joinShared([bytes], bytes.length);
  if ((await decoder.decode(shared, 'chat_completions', 64)).decoded === undefined)
    throw new Error('the body-decoding worker did not decode the body');
  cases.push([
    'body decoded by the worker (longest turn)',
    () => longestTurn(() => decoder.decode(shared, 'chat_completions', 64)),
  ]);
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < rounds + 1; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const [name, run] of order) {
      const ms = await run();
      if (round > 0) samples.get(name)?.push(ms);
    }
  }
  port1.close();
  await decoder.close();
  const quantile = (values: readonly number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))] ?? Number.NaN;
  return table(
    ['step', 'body', 'median ms', 'fastest ms'],
    [...samples].map(([name, values]) => [
      name,
      `${fmt(sizeBytes / 1024 / 1024, 1)} MiB`,
      fmt(quantile(values, 0.5), 2),
      fmt(quantile(values, 0), 2),
    ]),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({ options: { size: { type: 'string' }, rounds: { type: 'string' } } });
  const size = values.size ?? '8M';
  const match = /^(\d+(?:\.\d+)?)([KM]?)$/i.exec(size);
  if (!match) throw new Error(`not a size: ${size}`);
  const unit = match[2]?.toUpperCase() === 'M' ? 1024 * 1024 : match[2]?.toUpperCase() === 'K' ? 1024 : 1;
  console.log(await measureLargeBodyTurns(Math.round(Number(match[1]) * unit), Number(values.rounds ?? 15)));
}
