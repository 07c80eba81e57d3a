// Replays a trace through the real routing code (signals → decision → model selection → pool selection) against the
// pool model, on a simulated clock. Outcomes flow back into the same live state the router reads in production:
// pool leases begin at dispatch and end at completion, model figures and the selection algorithm's `observe` get
// each answer, so load- and latency-aware strategies see simulated load.
import { NoPoolError, RouterError } from '../errors.ts';
import { createRequestRouter, type ModelSelectionRecord } from '../pipeline.ts';
import type { CompiledModel, CompiledPool, Policy } from '../policy/policy.ts';
import { type PoolLease, PoolStateRegistry } from '../pools/pool-state.ts';
import { seededRandom } from '../seeded-random.ts';
import type { ModelOutcome } from '../selection/model-stats.ts';
import { ModelStatsRegistry } from '../selection/model-stats.ts';
import { MemoryStore } from '../state/shared-store.ts';
import { answerCost } from './answer-cost.ts';
import { EventQueue } from './event-queue.ts';
import type { Fleet, FleetPool } from './fleet.ts';
import { type JobStart, PoolModel } from './pool-model.ts';
import { BUILT_IN_PROMPTS, REQUEST_ID_HEADER, syntheticRequest } from './synthetic-request.ts';
import type { TraceRequest } from './trace.ts';

export interface SimulationOptions {
  readonly label: string;
  /** The policy to route with (strategy overrides already applied); it is not closed here. */
  readonly policy: Policy;
  readonly fleet: Fleet;
  readonly trace: readonly TraceRequest[];
  readonly seed: number;
  readonly prompts?: readonly string[];
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

export interface PoolResult {
  readonly pool: string;
  readonly gpu: string;
  /** Requests the router sent to the pool (queue-full refusals included). */
  readonly requests: number;
  readonly completed: number;
  /**
   * The GPU time the requests used: each request's time in a running slot × the replica's GPUs / its slots. What the
   * traffic costs on a fleet sized to it; pricier pools and slower service raise it.
   */
  readonly usedGpuHours: number;
  /** GPU time with at least one request running on the replica: what replicas that scale to zero would bill. */
  readonly busyGpuHours: number;
  /** GPUs × the simulated span: what the fleet as declared costs. */
  readonly provisionedGpuHours: number;
  /** used / provisioned: the share of the pool's slot capacity the traffic held. */
  readonly utilisation: number;
  /** usedGpuHours × cost per GPU hour. */
  readonly cost: number;
}

export interface SimulationResult {
  readonly strategy: string;
  readonly requests: number;
  readonly completed: number;
  /** Requests a policy plugin answered (block, fast response): they never reach a pool. */
  readonly answeredByRouter: number;
  /** Refused requests by reason: `queue_full` (the replica's queue), `no_fitting_pool`, `breakers_open`, or a code. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly rejectedTotal: number;
  readonly ttftMs: Percentiles;
  readonly e2eMs: Percentiles;
  /** From the first arrival to the last completion. */
  readonly spanS: number;
  readonly requestsPerS: number;
  readonly outputTokensPerS: number;
  /** Share of the started requests' prompt tokens served from a replica's prefix cache. */
  readonly prefixHitShare: number;
  readonly usedGpuHours: number;
  readonly cost: number;
  readonly pools: readonly PoolResult[];
  /** Requests per model the router chose. */
  readonly models: Readonly<Record<string, number>>;
}

interface Flight {
  readonly id: number;
  readonly arrivalMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly blocks: readonly number[];
  readonly requestId: string | undefined;
  readonly model: CompiledModel;
  readonly pool: CompiledPool;
  readonly decision: string | undefined;
  readonly selection: ModelSelectionRecord | undefined;
  readonly lease: PoolLease;
  readonly modelDone: (outcome: ModelOutcome | undefined) => void;
  start?: JobStart<Flight>;
}

/** Nearest-rank percentile of an ascending array; 0 when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

function rejectionReason(error: RouterError): string {
  if (error instanceof NoPoolError)
    return error.retryAfterSeconds === undefined ? 'no_fitting_pool' : 'breakers_open';
  return error.code;
}

/** Runs one strategy over the whole trace. Deterministic for a given seed, policy, fleet and trace. */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const { policy, fleet, trace } = options;
  const prompts = options.prompts ?? BUILT_IN_PROMPTS;
  const clock = { now: 0 };
  const now = () => clock.now;
  const pools = new PoolStateRegistry({ ...policy.breaker, now });
  pools.track(policy.pools.map((p) => p.name));
  const stats = new ModelStatsRegistry();
  const store = new MemoryStore({ now });
  const router = createRequestRouter(policy, { pools, stats, store, random: seededRandom(options.seed) });
  const models = new Map<string, PoolModel<Flight>>(
    [...fleet.pools.values()].map((spec: FleetPool) => [
      spec.name,
      new PoolModel<Flight>(spec, fleet.blockTokens, fleet.replicaBalancer),
    ]),
  );

  const ttfts: number[] = [];
  const e2es: number[] = [];
  const rejected: Record<string, number> = {};
  const routedTo = new Map<string, number>();
  const completedOn = new Map<string, number>();
  const modelCounts: Record<string, number> = {};
  let answeredByRouter = 0;
  let promptTokens = 0;
  let cachedTokens = 0;
  let outputTokens = 0;
  const completions = new EventQueue<Flight>();
  const reject = (reason: string) => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };

  const learn = async (flight: Flight, outcome: ModelOutcome, status: number) => {
    flight.modelDone(outcome);
    const { selection } = flight;
    if (!selection?.selector.observe || flight.decision === undefined) return;
    try {
      await selection.selector.observe({
        ...outcome,
        decision: flight.decision,
        model: flight.model.name,
        requestId: flight.requestId,
        memo: selection.memo,
        status,
        store,
      });
    } catch {
      // observe must not throw; if one does, the simulation goes on like the server would.
    }
  };

  const started = (start: JobStart<Flight>) => {
    start.job.start = start;
    promptTokens += start.job.inputTokens;
    cachedTokens += start.cachedTokens;
    completions.push(start.endMs, start.job);
  };

  const arrive = async (index: number) => {
    const row = trace[index] as TraceRequest;
    const request = syntheticRequest(row, index, {
      seed: options.seed,
      prompts,
      blockTokens: fleet.blockTokens,
    });
    let routed: Awaited<ReturnType<typeof router.route>>;
    try {
      routed = await router.route({
        method: 'POST',
        path: '/v1/chat/completions',
        api: 'chat_completions',
        headers: request.headers,
        body: request.body,
      });
    } catch (error) {
      if (!(error instanceof RouterError)) throw error;
      reject(rejectionReason(error));
      return;
    }
    const { plan } = routed;
    if (plan.response !== undefined || plan.pool === undefined) {
      answeredByRouter++;
      return;
    }
    const poolModel = models.get(plan.pool.name) as PoolModel<Flight>;
    modelCounts[plan.model.name] = (modelCounts[plan.model.name] ?? 0) + 1;
    routedTo.set(plan.pool.name, (routedTo.get(plan.pool.name) ?? 0) + 1);
    const flight: Flight = {
      id: index,
      arrivalMs: row.arrivalMs,
      inputTokens: row.inputTokens,
      outputTokens: Math.max(1, row.outputTokens),
      blocks: row.blocks,
      requestId: request.headers.get(REQUEST_ID_HEADER),
      model: plan.model,
      pool: plan.pool,
      decision: plan.decision?.name,
      selection: plan.selection,
      lease: pools.begin(plan.pool.name),
      modelDone: stats.begin(plan.model.name),
    };
    const submission = poolModel.submit(flight, clock.now);
    if (submission.kind === 'started') started(submission.start);
    else if (submission.kind === 'rejected') {
      reject('queue_full');
      flight.lease.end({ status: 503, failed: true });
      await learn(flight, { failed: true }, 503);
    }
  };

  const complete = async (flight: Flight) => {
    const start = flight.start as JobStart<Flight>;
    const ttftMs = start.firstTokenMs - flight.arrivalMs;
    const latencyMs = start.endMs - flight.arrivalMs;
    ttfts.push(ttftMs);
    e2es.push(latencyMs);
    outputTokens += flight.outputTokens;
    completedOn.set(flight.pool.name, (completedOn.get(flight.pool.name) ?? 0) + 1);
    flight.lease.end({ status: 200, failed: false, ttftMs, latencyMs });
    const cost = answerCost(policy, {
      model: flight.model,
      pool: flight.pool,
      promptTokens: flight.inputTokens,
      cachedPromptTokens: start.cachedTokens,
      completionTokens: flight.outputTokens,
      latencyMs,
    });
    await learn(flight, { failed: false, ttftMs, tpotMs: start.tpotMs, latencyMs, cost }, 200);
    const next = models.get(flight.pool.name)?.finish(start, clock.now);
    if (next !== undefined) started(next);
  };

  let next = 0;
  while (next < trace.length || completions.size > 0) {
    const arrival = next < trace.length ? (trace[next] as TraceRequest).arrivalMs : Number.POSITIVE_INFINITY;
    // A completion at the arrival's instant goes first: it frees the slot the arrival may take.
    if (completions.peekTime() <= arrival) {
      const event = completions.pop() as { time: number; value: Flight };
      clock.now = event.time;
      await complete(event.value);
    } else {
      clock.now = arrival;
      await arrive(next++);
    }
  }

  const endMs = clock.now;
  const spanS = endMs / 1000;
  const poolResults: PoolResult[] = [...fleet.pools.values()].map((spec) => {
    const model = models.get(spec.name) as PoolModel<Flight>;
    const hours = (ms: number) => (ms * spec.gpusPerReplica) / 3_600_000;
    const usedGpuHours = hours(model.slotMs / spec.maxConcurrency);
    const provisionedGpuHours = hours(spec.replicas * endMs);
    return {
      pool: spec.name,
      gpu: spec.gpu,
      requests: routedTo.get(spec.name) ?? 0,
      completed: completedOn.get(spec.name) ?? 0,
      usedGpuHours,
      busyGpuHours: hours(model.busyMs(endMs)),
      provisionedGpuHours,
      utilisation: provisionedGpuHours === 0 ? 0 : usedGpuHours / provisionedGpuHours,
      cost: usedGpuHours * spec.costPerGpuHour,
    };
  });
  const rejectedTotal = Object.values(rejected).reduce((a, b) => a + b, 0);
  return {
    strategy: options.label,
    requests: trace.length,
    completed: ttfts.length,
    answeredByRouter,
    rejected,
    rejectedTotal,
    ttftMs: percentiles(ttfts),
    e2eMs: percentiles(e2es),
    spanS,
    requestsPerS: spanS === 0 ? 0 : ttfts.length / spanS,
    outputTokensPerS: spanS === 0 ? 0 : outputTokens / spanS,
    prefixHitShare: promptTokens === 0 ? 0 : cachedTokens / promptTokens,
    usedGpuHours: poolResults.reduce((sum, p) => sum + p.usedGpuHours, 0),
    cost: poolResults.reduce((sum, p) => sum + p.cost, 0),
    pools: poolResults,
    models: modelCounts,
  };
}
