// Turns the two load-generator results into the printed comparison table, the budget verdicts and, when a
// budget is missed, the measured reason.
import { fmt, table } from './format.ts';
import type { GeneratorResult, PhaseMeasurement } from './results.ts';

export const BUDGET = { cpuRatio: 1.5, requestsPerSecond: 5000, atConcurrency: 64 } as const;

export interface Verdict {
  readonly budget: string;
  readonly met: boolean;
  readonly detail: string;
  /** What limits it, when not met. */
  readonly limits: readonly string[];
}

export interface BenchReport {
  readonly noop: GeneratorResult;
  readonly router: GeneratorResult;
  readonly verdicts: readonly Verdict[];
}

function phase(result: GeneratorResult, name: string): PhaseMeasurement | undefined {
  return result.phases.find((candidate) => candidate.name === name);
}

/** The throughput phase the budget is about (c=64, or the highest concurrency measured). */
function budgetPhase(result: GeneratorResult): PhaseMeasurement | undefined {
  const sorted = [...result.phases].sort((a, b) => b.concurrency - a.concurrency);
  return phase(result, `c${BUDGET.atConcurrency}`) ?? sorted[0];
}

function cpuVerdict(noop: GeneratorResult, router: GeneratorResult): Verdict {
  const ratio = router.cpuUsPerRequest / noop.cpuUsPerRequest;
  const met = ratio <= BUDGET.cpuRatio;
  const limits: string[] = [];
  if (!met) {
    const extra = router.cpuUsPerRequest - noop.cpuUsPerRequest;
    const allowed = noop.cpuUsPerRequest * (BUDGET.cpuRatio - 1);
    limits.push(
      `the router spends ${fmt(extra)} µs of CPU per request beyond the gRPC stack the no-op also runs ` +
        `(${fmt(noop.cpuUsPerRequest)} µs); the budget allows ${fmt(allowed)} µs.`,
      'that excess is routing work in the router process (JSON parse, signals, body rewrite, larger ' +
        'answers; the `floor` variant measures it without signals or decisions): profile it under this load ' +
        'with BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench.',
    );
  }
  return {
    budget: `router CPU per request ≤ ${BUDGET.cpuRatio}× the no-op's`,
    met,
    detail: `${fmt(router.cpuUsPerRequest)} µs vs ${fmt(noop.cpuUsPerRequest)} µs = ${fmt(ratio, 2)}×`,
    limits,
  };
}

/** Explains a throughput below budget from the phase's CPU figures. */
function throughputLimits(
  routerPhase: PhaseMeasurement,
  noopPhase: PhaseMeasurement | undefined,
  cores: number,
) {
  const limits: string[] = [];
  const server = routerPhase.serverCpuPercent;
  const generator = routerPhase.generatorCpuPercent;
  const other = routerPhase.otherCpuPercent;
  const used = server + generator + other;
  const serverUs = routerPhase.serverCpuUsPerRequest;
  const generatorUs = routerPhase.generatorCpuUsPerRequest;
  if (used >= cores * 100 * 0.75) {
    limits.push(
      `the machine is the limit: router ${fmt(server)} % + load generator ${fmt(generator)} % + other ` +
        `processes ${fmt(other)} % of a core = ${fmt(used / cores)} % of ${cores} cores ` +
        '(threads handing work to each other rarely get beyond ~85 %).',
    );
  }
  limits.push(
    `per request the router needs ${fmt(serverUs)} µs of CPU and the load generator ${fmt(generatorUs)} µs ` +
      `(Envoy's side of 4 gRPC messages): ${cores} cores / ${fmt(serverUs + generatorUs)} µs ≈ ` +
      `${fmt((cores * 1e6) / (serverUs + generatorUs))} req/s at best on this machine.`,
  );
  if (server >= 90) {
    limits.push(
      `the router's event loop is busy ${fmt(server)} % of the time: one Node thread at ` +
        `${fmt(serverUs)} µs per request tops out near ${fmt(1e6 / serverUs)} req/s.`,
    );
  }
  if (noopPhase && noopPhase.requestsPerSecond < BUDGET.requestsPerSecond) {
    limits.push(
      `even the no-op server reaches only ${fmt(noopPhase.requestsPerSecond)} req/s here (` +
        `${fmt(noopPhase.serverCpuUsPerRequest)} µs server + ${fmt(noopPhase.generatorCpuUsPerRequest)} µs ` +
        'generator CPU per request): the gRPC stack and the load generator sharing these cores cap the ' +
        'measurement near that figure for any ext_proc server.',
    );
  }
  if (other >= 20) {
    limits.push(`other processes used ${fmt(other)} % of a core meanwhile: rerun on a quiet machine.`);
  }
  limits.push(
    `with the load generator elsewhere, one router process would do about ${fmt(1e6 / serverUs)} req/s ` +
      `per core (1 s / ${fmt(serverUs)} µs CPU per request).`,
  );
  return limits;
}

function throughputVerdict(noop: GeneratorResult, router: GeneratorResult): Verdict {
  const routerPhase = budgetPhase(router);
  const noopPhase = budgetPhase(noop);
  const rps = routerPhase?.requestsPerSecond ?? 0;
  const met = rps >= BUDGET.requestsPerSecond;
  return {
    budget: `router throughput ≥ ${fmt(BUDGET.requestsPerSecond)} req/s at c=${BUDGET.atConcurrency}`,
    met,
    detail: `${fmt(rps)} req/s (no-op: ${fmt(noopPhase?.requestsPerSecond)} req/s)`,
    limits: !met && routerPhase ? throughputLimits(routerPhase, noopPhase, router.cores) : [],
  };
}

export function buildReport(noop: GeneratorResult, router: GeneratorResult): BenchReport {
  return { noop, router, verdicts: [cpuVerdict(noop, router), throughputVerdict(noop, router)] };
}

interface Row {
  readonly metric: string;
  readonly value: (result: GeneratorResult) => number | undefined;
  readonly digits: number;
  /** False for context rows whose router/no-op ratio means nothing. */
  readonly ratio?: false;
}

function rows(report: BenchReport): Row[] {
  const throughput = report.router.phases.filter((candidate) => candidate.concurrency > 1);
  const byPhase =
    (name: string, pick: (measurement: PhaseMeasurement) => number) => (result: GeneratorResult) => {
      const measurement = phase(result, name);
      return measurement && pick(measurement);
    };
  return [
    {
      metric: `CPU per request, c=${throughput.map((p) => p.concurrency).join('+')} (µs)`,
      value: (result) => result.cpuUsPerRequest,
      digits: 0,
    },
    { metric: 'CPU per request, c=1 (µs)', value: byPhase('c1', (p) => p.serverCpuUsPerRequest), digits: 0 },
    { metric: 'latency p50, c=1 (ms)', value: byPhase('c1', (p) => p.latency.p50Ms), digits: 3 },
    { metric: 'latency p99, c=1 (ms)', value: byPhase('c1', (p) => p.latency.p99Ms), digits: 3 },
    ...throughput.flatMap((measurement): Row[] => [
      {
        metric: `throughput, c=${measurement.concurrency} (req/s)`,
        value: byPhase(measurement.name, (p) => p.requestsPerSecond),
        digits: 0,
      },
      {
        metric: `  latency p99, c=${measurement.concurrency} (ms)`,
        value: byPhase(measurement.name, (p) => p.latency.p99Ms),
        digits: 2,
      },
      {
        metric: `  server CPU, c=${measurement.concurrency} (% of a core)`,
        value: byPhase(measurement.name, (p) => p.serverCpuPercent),
        digits: 0,
      },
      {
        metric: `  load generator CPU, c=${measurement.concurrency} (% of a core)`,
        value: byPhase(measurement.name, (p) => p.generatorCpuPercent),
        digits: 0,
      },
      {
        metric: `  other processes, c=${measurement.concurrency} (% of a core)`,
        value: byPhase(measurement.name, (p) => p.otherCpuPercent),
        digits: 0,
        ratio: false,
      },
    ]),
    { metric: 'RSS at end (MiB)', value: (result) => result.rssMb, digits: 1 },
    { metric: 'peak RSS (MiB)', value: (result) => result.peakRssMb, digits: 1 },
  ];
}

export function formatReport(report: BenchReport): string {
  const { noop, router } = report;
  const body = rows(report).map((row) => {
    const a = row.value(noop);
    const b = row.value(router);
    const ratio = row.ratio !== false && a !== undefined && b !== undefined && a !== 0 ? b / a : undefined;
    return [
      row.metric,
      fmt(a, row.digits),
      fmt(b, row.digits),
      ratio === undefined ? '-' : `${fmt(ratio, 2)}×`,
    ];
  });
  const workload = router.workload;
  const lines = [
    '',
    `ext_proc benchmark on ${router.cores} cores; load generator: ${router.client} client, ` +
      `${router.threads} threads, ${router.channels} connections per target`,
    `  ${workload.items} distinct requests: ${Object.entries(workload.sources)
      .map(([source, count]) => `${source} ${count}`)
      .join(', ')}`,
    `  models: auto ${workload.autoModel}, concrete ${workload.concreteModel}, ` +
      `unknown ${workload.unknownModel}; stream ${workload.streaming}; ` +
      `body mean ${fmt(workload.meanBodyBytes)} B, max ${fmt(workload.maxBodyBytes)} B`,
    `  router answers: ${Object.entries(router.routedTo)
      .map(([model, count]) => `${model} ${fmt((count / Math.max(1, router.requests)) * 100, 1)} %`)
      .join(', ')}`,
    '',
    table(['metric', 'no-op', 'router', 'router/no-op'], body),
    '',
    `requests: no-op ${fmt(noop.requests)} (${noop.errors} errors, ${noop.mismatches} wrong answers), ` +
      `router ${fmt(router.requests)} (${router.errors} errors, ${router.mismatches} wrong answers)`,
  ];
  for (const [name, result] of [
    ['no-op', noop],
    ['router', router],
  ] as const) {
    for (const [problem, count] of Object.entries(result.problems))
      lines.push(`  ${name}: ${count}× ${problem}`);
  }
  const busiest = Math.max(...[...noop.phases, ...router.phases].map((p) => p.otherCpuPercent));
  if (busiest >= 20)
    lines.push(
      `note: other processes used up to ${fmt(busiest)} % of a core during a phase: figures are disturbed.`,
    );
  lines.push('', 'budgets:');
  for (const verdict of report.verdicts) {
    lines.push(`  [${verdict.met ? 'met' : 'MISSED'}] ${verdict.budget}: ${verdict.detail}`);
    for (const limit of verdict.limits) lines.push(`      - ${limit}`);
  }
  return `${lines.join('\n')}\n`;
}
