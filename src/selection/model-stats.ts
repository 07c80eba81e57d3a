// Live figures per model, from the response stage: recent TTFT, TPOT and latency samples (for percentiles), error
// share, cost and requests in flight. Selection algorithms read them; kept across policy reloads like pool state.

/** How a request routed to a model ended, as the response stage saw it. */
export interface ModelOutcome {
  readonly failed: boolean;
  readonly ttftMs?: number | undefined;
  readonly tpotMs?: number | undefined;
  readonly latencyMs?: number | undefined;
  readonly cost?: number | undefined;
}

/** A snapshot of one model's recent figures. */
export interface ModelStatsView {
  readonly model: string;
  readonly inFlight: number;
  /** Outcomes in the window. */
  readonly samples: number;
  /** Failed share of the outcomes in the window (0 when empty). */
  readonly errorRate: number;
  /** Mean cost of the answers in the window that had one. */
  readonly meanCost: number | undefined;
}

export type LatencyMetric = 'ttft' | 'tpot' | 'latency';

/**
 * A ring of the newest samples. Selections read far more often than answers arrive, so reads are cheap: percentiles
 * use a sorted copy kept until the next push (sorting 256 samples per read cost latency_aware ~0.8 ms a request),
 * and the mean is computed once per push.
 */
class SampleWindow {
  readonly #values: number[] = [];
  #sorted: number[] | undefined;
  #mean: number | undefined;
  #next = 0;
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  get count(): number {
    return this.#values.length;
  }

  push(value: number): void {
    this.#sorted = undefined;
    this.#mean = undefined;
    if (this.#values.length < this.#size) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#size;
  }

  /** Nearest-rank percentile (p in (0, 100]); undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.#values.length === 0) return undefined;
    this.#sorted ??= [...this.#values].sort((a, b) => a - b);
    const sorted = this.#sorted;
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1];
  }

  mean(): number | undefined {
    if (this.#values.length === 0) return undefined;
    if (this.#mean === undefined) {
      let sum = 0;
      for (const value of this.#values) sum += value;
      this.#mean = sum / this.#values.length;
    }
    return this.#mean;
  }
}

class ModelStats {
  inFlight = 0;
  readonly ttft: SampleWindow;
  readonly tpot: SampleWindow;
  readonly latency: SampleWindow;
  readonly cost: SampleWindow;
  readonly failures: SampleWindow;

  constructor(window: number) {
    this.ttft = new SampleWindow(window);
    this.tpot = new SampleWindow(window);
    this.latency = new SampleWindow(window);
    this.cost = new SampleWindow(window);
    this.failures = new SampleWindow(window);
  }
}

/** Every model's live figures. One per process; survives policy reloads. */
export class ModelStatsRegistry {
  readonly #models = new Map<string, ModelStats>();
  readonly #window: number;

  /** `window`: samples kept per model and figure (the newest ones). */
  constructor(options: { window?: number } = {}) {
    this.#window = options.window ?? 256;
  }

  #stats(model: string): ModelStats {
    let stats = this.#models.get(model);
    if (!stats) {
      stats = new ModelStats(this.#window);
      this.#models.set(model, stats);
    }
    return stats;
  }

  /** A request was sent to `model`; returns the function that records how it ended (later calls are no-ops). */
  begin(model: string): (outcome: ModelOutcome | undefined) => void {
    const stats = this.#stats(model);
    stats.inFlight++;
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      stats.inFlight--;
      if (outcome) this.record(model, outcome);
    };
  }

  /** Records an outcome without an in-flight slot (replays, simulations). */
  record(model: string, outcome: ModelOutcome): void {
    const stats = this.#stats(model);
    stats.failures.push(outcome.failed ? 1 : 0);
    if (outcome.failed) return;
    if (outcome.ttftMs !== undefined) stats.ttft.push(outcome.ttftMs);
    if (outcome.tpotMs !== undefined) stats.tpot.push(outcome.tpotMs);
    if (outcome.latencyMs !== undefined) stats.latency.push(outcome.latencyMs);
    if (outcome.cost !== undefined) stats.cost.push(outcome.cost);
  }

  /** The p-th percentile (0 < p ≤ 100) of a latency figure over the window; undefined without samples. */
  percentile(model: string, metric: LatencyMetric, p: number): number | undefined {
    return this.#models.get(model)?.[metric].percentile(p);
  }

  view(model: string): ModelStatsView {
    const stats = this.#models.get(model);
    return {
      model,
      inFlight: stats?.inFlight ?? 0,
      samples: stats?.failures.count ?? 0,
      errorRate: stats?.failures.mean() ?? 0,
      meanCost: stats?.cost.mean(),
    };
  }

  views(): ModelStatsView[] {
    return [...this.#models.keys()].sort().map((model) => this.view(model));
  }
}
