// `npm run bench`: the router and a no-op ext_proc server, each in its own process, driven in turn by the
// same load generator (a third process) with the same request mix; prints CPU per request, latency,
// throughput, RSS and the router/no-op ratios against the budgets in DESIGN.md. Then router variants, each
// compared with the router above: `floor` serves the policy without signals or decisions (floor-policy.ts: what the
// router costs before any signal runs, against the no-op), `ml` serves the ML policy (added latency, RSS, ready
// time), `tracing` turns OpenTelemetry tracing on at 100 % and 10 % sampling with an OTLP/HTTP exporter (extra
// CPU), each measured in rounds alternating with the router without tracing (tracing-rounds.ts). The no-op and the
// router themselves run in alternating rounds too (`--rounds`), their figures pooled.
// `features` serves the same policy with every feature of the later issues on (features-policy.ts). Last, one
// table of every performance target with its ratio (targets.ts); `--readme` writes it into the README.
// `event-loop` sends bodies up to 8 MiB beside small requests (event-loop.ts), `startup` times spawn to ready and
// reads idle RSS (startup.ts), `--soak SECONDS` holds a steady load and compares RSS (soak.ts).
// Usage: npm run bench [-- --json] [--policy FILE] [--ml-policy FILE]
//        [--variants floor,ml,tracing,features,event-loop,startup|none] [--soak SECONDS]
//        [--data DIR relative to the repo root] [--readme] [--rounds N (2)] [--tracing-rounds N (3)]
// Durations, concurrency and the client are set by BENCH_* variables: see bench/load-generator.ts.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { npmRunBuild } from '../scripts/build-if-stale.mjs';
import {
  ROUTER_ENTRY,
  runBenchMain,
  runToCompletion,
  type ServerProcess,
  startServer,
} from './child-processes.ts';
import { eventLoopTable, measureEventLoopStalls } from './event-loop.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { writeFeaturesPolicy } from './features-policy.ts';
import { writeFloorPolicy } from './floor-policy.ts';
import { startOtlpSink } from './otlp-sink.ts';
import { pooled } from './pooled-runs.ts';
import { benchSection, writeBenchSection } from './readme-section.ts';
import { buildReport, formatReport } from './report.ts';
import type { GeneratorResult } from './results.ts';
import { measureSoak } from './soak.ts';
import { formatStartup, measureStartup } from './startup.ts';
import {
  type EventLoopResult,
  formatTargets,
  type SoakResult,
  type StartupResult,
  targetRows,
} from './targets.ts';
import { DEFAULT_TRACING_ROUNDS, measureTracingRounds } from './tracing-rounds.ts';
import {
  featuresVerdicts,
  floorVerdicts,
  formatVariant,
  type Measured,
  mlVerdicts,
  tracingVerdicts,
  type VariantSpec,
} from './variants.ts';

interface Target {
  readonly name: string;
  readonly verify: 'noop' | 'router';
  readonly serverArgs: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

const HOST = '127.0.0.1';
/** Rounds of the no-op and the router (their figures pooled): one pair of runs varied by ±7 % between runs. */
const DEFAULT_ROUNDS = 2;
const DEFAULT_VARIANTS = ['floor', 'ml', 'tracing', 'features', 'event-loop', 'startup'];

async function measure(target: Target, data: string | undefined): Promise<Measured> {
  process.stderr.write(`${target.name}: starting server\n`);
  const server: ServerProcess = await startServer(target.name, target.serverArgs, target.env);
  try {
    process.stderr.write(`${target.name}: pid ${server.pid}, port ${server.port}\n`);
    const stdout = await runToCompletion([
      'bench/load-generator.ts',
      '--target',
      `${HOST}:${server.port}`,
      '--pid',
      String(server.pid),
      '--verify',
      target.verify,
      ...(data ? ['--data', data] : []),
    ]);
    return { result: JSON.parse(stdout) as GeneratorResult, readyMs: server.readyMs };
  } catch (error) {
    process.stderr.write(`${target.name} server log (last lines):\n${server.logTail().join('\n')}\n`);
    throw error;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      policy: { type: 'string', default: process.env.BENCH_POLICY ?? 'policies/default.yaml' },
      data: { type: 'string' },
      'ml-policy': { type: 'string', default: 'policies/ml-guardrails.yaml' },
      variants: { type: 'string', default: process.env.BENCH_VARIANTS ?? DEFAULT_VARIANTS.join(',') },
      readme: { type: 'boolean', default: false },
      soak: { type: 'string' },
      'tracing-rounds': { type: 'string', default: String(DEFAULT_TRACING_ROUNDS) },
      rounds: { type: 'string', default: String(DEFAULT_ROUNDS) },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds takes a positive integer, got '${values.rounds}'`);
  const tracingRounds = Number(values['tracing-rounds']);
  if (!Number.isInteger(tracingRounds) || tracingRounds < 1)
    throw new Error(`--tracing-rounds takes a positive integer, got '${values['tracing-rounds']}'`);
  const wanted = new Set(values.variants.split(',').map((v) => v.trim()));
  for (const name of wanted) {
    if (![...DEFAULT_VARIANTS, 'none', ''].includes(name)) throw new Error(`unknown variant '${name}'`);
  }
  // Both servers run the compiled JavaScript (`npm run build`), the router bundled as `npm start` runs it.
  process.stderr.write('building (npm run build)\n');
  // The build's output on stderr: stdout carries the report (or --json).
  const built = npmRunBuild(REPO_ROOT, ['ignore', 2, 'inherit']);
  if (built !== 0) throw new Error(`npm run build failed with exit status ${built}`);
  const noopTarget: Target = {
    name: 'no-op',
    verify: 'noop',
    serverArgs: ['dist/bench/noop-ext-proc-server.js', '--port', '0', '--host', HOST],
  };
  const routerTarget = (name: string, policy: string, env?: Record<string, string>): Target => ({
    name,
    verify: 'router',
    serverArgs: [ROUTER_ENTRY, 'serve', '--policy', policy, '--port', '0', '--host', HOST],
    ...(env && { env }),
  });
  // One after the other: each server has the machine to itself (and the load generator). Alternating rounds
  // (no-op, router | router, no-op | …) pooled: a slower spell of the machine hits both alike.
  const noopRuns: Measured[] = [];
  const routerRuns: Measured[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['noop', 'router'] as const) : (['router', 'noop'] as const);
    for (const which of order) {
      if (which === 'noop') noopRuns.push(await measure(noopTarget, values.data));
      else routerRuns.push(await measure(routerTarget('router', values.policy), values.data));
    }
  }
  const noop = pooled(noopRuns);
  const router = pooled(routerRuns);
  const report = buildReport(noop.result, router.result);
  const variants: { spec: VariantSpec; measured: Measured; baseline?: Measured }[] = [];
  let eventLoopText: string | undefined;
  if (wanted.has('floor')) {
    const spec: VariantSpec = {
      name: 'floor',
      description: `${values.policy} without signals, projections or decisions (bench/floor-policy.ts)`,
      policy: writeFloorPolicy(values.policy),
      verdicts: floorVerdicts(noop),
    };
    variants.push({
      spec,
      measured: await measure(routerTarget('floor', spec.policy as string), values.data),
    });
  }
  if (wanted.has('ml')) {
    const spec: VariantSpec = {
      name: 'ml',
      description: `router serving ${values['ml-policy']} (ML signals) vs ${values.policy}`,
      policy: values['ml-policy'],
      verdicts: mlVerdicts,
    };
    variants.push({ spec, measured: await measure(routerTarget('ml', values['ml-policy']), values.data) });
  }
  let tracingBaseline: Measured | undefined;
  if (wanted.has('tracing')) {
    const sink = await startOtlpSink(HOST);
    try {
      const exporterEnv = {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.tracesUrl,
      };
      const rounds = await measureTracingRounds({
        rounds: tracingRounds,
        exporterEnv,
        measure: (name, env) => measure(routerTarget(name, values.policy, env), values.data),
        received: () => sink.received(),
      });
      tracingBaseline = rounds.baseline;
      for (const { variant, measured, roundExtras, exportRequests, exportBytes } of rounds.variants) {
        const spec: VariantSpec = {
          name: variant.name,
          description:
            `router with tracing (${Object.values(variant.sampler).join(' ')}), OTLP/HTTP export ` +
            `(${exportRequests} export requests, ${(exportBytes / 1024 / 1024).toFixed(1)} MiB received); ` +
            `${tracingRounds} rounds alternating with the router without tracing, CPU pooled over them ` +
            `(extra per round: ${roundExtras.map((extra) => `${(extra * 100).toFixed(1)} %`).join(', ')})`,
          env: { ...exporterEnv, ...variant.sampler },
          verdicts: tracingVerdicts,
        };
        variants.push({ spec, measured, baseline: rounds.baseline });
      }
    } finally {
      await sink.close();
    }
  }
  if (wanted.has('features')) {
    const policy = writeFeaturesPolicy(values.policy);
    const spec: VariantSpec = {
      name: 'features',
      description: `${values.policy} with least_loaded pools, rate limits and a response cache that misses`,
      policy,
      verdicts: featuresVerdicts,
    };
    variants.push({ spec, measured: await measure(routerTarget('features', policy), values.data) });
  }
  let eventLoop: EventLoopResult | undefined;
  if (wanted.has('event-loop')) {
    process.stderr.write('event-loop: bodies of 64 KiB to 8 MiB next to small requests\n');
    const rows = await measureEventLoopStalls({ log: (line) => process.stderr.write(`  ${line}\n`) });
    eventLoopText = eventLoopTable(rows);
    const large = rows.filter((row) => row.bodyBytes > 0);
    eventLoop = {
      maxStallMs: Math.max(...large.map((row) => row.maxOwnStallMs ?? row.maxStallMs)),
      maxWallStallMs: Math.max(...large.map((row) => row.maxStallMs)),
      largestBodyMiB: Math.max(...large.map((row) => row.bodyBytes)) / 1024 / 1024,
    };
  }
  let startupText: string | undefined;
  let startup: StartupResult | undefined;
  if (wanted.has('startup')) {
    process.stderr.write('startup: spawn to ready and idle RSS, 5 starts per policy\n');
    const base = await measureStartup({ policy: values.policy, runs: 5 });
    const ml = await measureStartup({ policy: values['ml-policy'], runs: 5 });
    startupText = formatStartup([base, ml]);
    startup = {
      defaultReadyMs: base.readyMs.median,
      idleRssMiB: base.idleRssMb.median,
      mlReadyMs: ml.readyMs.median,
    };
  }
  let soak: SoakResult | undefined;
  if (values.soak !== undefined) {
    const seconds = Number(values.soak);
    if (!(seconds > 0)) throw new Error(`--soak takes seconds, got '${values.soak}'`);
    process.stderr.write(`soak: ${seconds} s of steady load, RSS sampled\n`);
    const figures = await measureSoak({ policy: values.policy, seconds });
    soak = { seconds: figures.seconds, growthPercent: figures.growthPercent };
  }
  const variant = (name: string) => variants.find((v) => v.spec.name === name)?.measured;
  const targets = targetRows({
    noop,
    router,
    features: variant('features'),
    tracing: variant('tracing'),
    tracing10: variant('tracing-10%'),
    tracingBaseline,
    ml: variant('ml'),
    eventLoop,
    startup,
    soak,
  });
  if (values.readme) {
    const cores = router.result.cores;
    writeBenchSection(
      path.join(REPO_ROOT, 'README.md'),
      benchSection(formatTargets(targets), new Date(), cores),
    );
  }
  if (values.json) {
    const json = {
      ...report,
      variants: variants.map((v) => ({ name: v.spec.name, ...v.measured })),
      targets,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(report));
    for (const { spec, measured, baseline } of variants)
      process.stdout.write(formatVariant(spec, baseline ?? router, measured));
    if (startupText) process.stdout.write(`\nstart-up (median of 5 starts):\n\n${startupText}\n`);
    if (eventLoopText) process.stdout.write(`\nevent loop with large bodies:\n\n${eventLoopText}\n`);
    process.stdout.write(`\ntargets (ratios within this run):\n\n${formatTargets(targets)}\n`);
  }
  const failed = [noop, router, ...variants.map((v) => v.measured)].reduce(
    (sum, m) => sum + m.result.errors + m.result.mismatches,
    0,
  );
  return failed > 0 ? 1 : 0;
}

await runBenchMain('bench', main);
