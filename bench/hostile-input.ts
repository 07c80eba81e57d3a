// Hostile input: what one adversarial request costs the router, and how long it stalls everything else.
//   node --import tsx bench/hostile-input.ts [--policy policies/default.yaml] [--rounds 5]
// For each input the router routes it (in process, as a stream does) while a 1 ms timer measures the event loop;
// printed: router wall time, its CPU time, the longest event-loop stall (monitorEventLoopDelay max), the longest
// 1 ms timer interval without the time spent waiting for a core (the process's own stall, bench/own-stall-monitor.ts)
// and the ratio of CPU per character to plain prose of the same size. The target is no stall above 5 ms.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRequestRouter, type RequestRouter } from '../src/pipeline.ts';
import { loadPolicyFile } from '../src/policy/load-policy.ts';
import { capRequestHeaders } from '../src/server/bounded-headers.ts';
import { loadExtProcPackage } from '../src/server/ext-proc-server.ts';
import { readHeaderMap } from '../src/server/wire.ts';
import { monitorOwnStalls } from './own-stall-monitor.ts';

const { values } = parseArgs({
  options: { policy: { type: 'string' }, rounds: { type: 'string' } },
});
const policyFile = values.policy ?? 'policies/default.yaml';
const rounds = Number(values.rounds ?? 5);

const KiB = 1024;
const prose = (chars: number) =>
  'The committee reviewed the quarterly figures and agreed to revisit the plan next month. '
    .repeat(Math.ceil(chars / 88))
    .slice(0, chars);

interface Case {
  readonly name: string;
  readonly path?: string;
  readonly body: () => Buffer;
  /** Characters of prompt text, for the per-character ratio. */
  readonly chars: number;
}

const chat = (content: string) =>
  Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }));

const cases: Case[] = [
  { name: 'prose 64 KiB', body: () => chat(prose(64 * KiB)), chars: 64 * KiB },
  { name: '"1 " x 32K (64 KiB)', body: () => chat('1 '.repeat(32 * KiB)), chars: 64 * KiB },
  { name: 'lone surrogates 384 KiB', body: () => chat('\ud800'.repeat(384 * KiB)), chars: 384 * KiB },
  { name: 'prose 384 KiB', body: () => chat(prose(384 * KiB)), chars: 384 * KiB },
  { name: 'digits and dashes 1 MiB', body: () => chat('12-'.repeat((1024 * KiB) / 3)), chars: 1024 * KiB },
  { name: 'prose 1 MiB', body: () => chat(prose(1024 * KiB)), chars: 1024 * KiB },
  { name: 'prose 8 MiB', body: () => chat(prose(8192 * KiB - 64)), chars: 8192 * KiB - 64 },
  {
    name: 'SSN mid 70K, 3 turns',
    body: () =>
      Buffer.from(
        JSON.stringify({
          model: 'small-chat',
          messages: [
            { role: 'system', content: prose(4 * KiB) },
            { role: 'user', content: `${prose(35_000)} SSN 460-89-9847 ${prose(35_000)}` },
            { role: 'assistant', content: prose(2 * KiB) },
            { role: 'user', content: 'Summarise' },
          ],
        }),
      ),
    chars: 76 * KiB,
  },
  {
    name: 'Responses API 1 MiB input',
    path: '/v1/responses',
    body: () => Buffer.from(JSON.stringify({ model: 'auto', input: prose(1024 * KiB) })),
    chars: 1024 * KiB,
  },
  {
    name: 'Responses API 8 MiB input',
    path: '/v1/responses',
    body: () => Buffer.from(JSON.stringify({ model: 'auto', input: prose(8192 * KiB - 64) })),
    chars: 8192 * KiB - 64,
  },
  {
    name: 'JSON nested 100,000 deep',
    body: () => Buffer.from(`{"model":"auto","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    chars: 0,
  },
];

async function routeOnce(
  router: RequestRouter,
  c: Case,
): Promise<{ wallMs: number; cpuMs: number; stallMs: number; ownStallMs: number }> {
  const body = c.body();
  const headers = new Map([[':method', 'POST']]);
  const admission = router.admit({ method: 'POST', path: c.path ?? '/v1/chat/completions', headers });
  if (admission.kind !== 'route') throw new Error(`${c.name}: not routed`);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const own = monitorOwnStalls();
  // A concurrent stream's timer keeps the loop busy with short callbacks, as other streams would.
  const ticker = setInterval(() => {}, 1);
  histogram.enable();
  // monitorEventLoopDelay drops its first interval: a stall right after enable() would go unseen.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await router.route({ method: 'POST', path: admission.path, api: admission.api, headers, body });
  } catch {
    // Rejections (413, 400, 503) are answers too.
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 5));
  histogram.disable();
  own.stop();
  clearInterval(ticker);
  return {
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    stallMs: histogram.max / 1e6,
    ownStallMs: own.histogram.count > 0 ? own.histogram.max / 1e6 : Number.NaN,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const policy = await loadPolicyFile(policyFile);
const router = createRequestRouter(policy);
console.log(`policy ${policyFile}, median of ${rounds} rounds (after one warm-up)\n`);
console.log(
  'case                          wall ms   cpu ms  max stall ms  max own stall ms  cpu/char vs prose',
);
let proseRate = 0;
for (const c of cases) {
  await routeOnce(router, c);
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await routeOnce(router, c));
  const wall = median(runs.map((r) => r.wallMs));
  const cpuMs = median(runs.map((r) => r.cpuMs));
  const stall = Math.max(...runs.map((r) => r.stallMs));
  const ownStall = Math.max(...runs.map((r) => r.ownStallMs));
  const rate = c.chars > 0 ? cpuMs / c.chars : 0;
  if (c.name.startsWith('prose 64')) proseRate = rate;
  const ratio = c.chars > 0 && proseRate > 0 ? `${(rate / proseRate).toFixed(2)}x` : '-';
  console.log(
    `${c.name.padEnd(29)} ${wall.toFixed(1).padStart(7)} ${cpuMs.toFixed(1).padStart(8)} ${stall.toFixed(1).padStart(13)} ${ownStall.toFixed(1).padStart(17)}  ${ratio.padStart(8)}`,
  );
}
policy.close();

// 100,000 request headers: protobuf decoding is bounded by the deserializer's cap, reading by the header limits.
const codec = (
  loadExtProcPackage()['envoy.service.ext_proc.v3.ExternalProcessor'] as unknown as {
    Process: {
      requestSerialize(v: unknown): Buffer;
      requestDeserialize(b: Buffer): { request_headers: { headers: never } };
    };
  }
).Process;
const many = Array.from({ length: 100_000 }, (_, i) => ({ key: `x-h${i}`, raw_value: Buffer.from('v') }));
const bytes = codec.requestSerialize({ request_headers: { headers: { headers: many } } });
const timings: { full: number; capped: number }[] = [];
for (let i = 0; i < rounds; i++) {
  let t = performance.now();
  readHeaderMap(codec.requestDeserialize(bytes).request_headers.headers);
  const full = performance.now() - t;
  t = performance.now();
  const capped = capRequestHeaders(bytes, 100);
  readHeaderMap(
    codec.requestDeserialize(capped.bytes as Buffer).request_headers.headers,
    {
      maxHeaders: 100,
      maxBytes: 60 * KiB,
    },
    capped.truncated === true,
  );
  timings.push({ full, capped: performance.now() - t });
}
console.log(
  `\n100,000 request headers: decode + read ${median(timings.map((t) => t.full)).toFixed(1)} ms unbounded, ` +
    `${median(timings.map((t) => t.capped)).toFixed(2)} ms with the router's cap (answered 431)`,
);
