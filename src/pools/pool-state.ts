// Live state of each GPU pool (in flight, latency, errors, circuit breaker, scraped load), kept across policy reloads.
import type { ScrapedLoad } from './server-metrics.ts';

/** How a request sent to a pool ended. */
export interface PoolOutcome {
  /** HTTP status of the upstream response; undefined when none arrived (reset, timeout). */
  readonly status: number | undefined;
  /**
   * Whether the pool failed the request: a 5xx, a connection reset, a timeout, an Envoy local reply for an
   * upstream failure. A 4xx is the client's fault, not the pool's.
   */
  readonly failed: boolean;
  /** Time to first token (or first response byte), in ms. */
  readonly ttftMs?: number;
  /** Time from sending the request to the end of the response, in ms. */
  readonly latencyMs?: number;
}

/** One request in flight on a pool. Every lease must be ended or cancelled exactly once (later calls are no-ops). */
export interface PoolLease {
  readonly pool: string;
  /** Whether this request is a half-open breaker's probe (its outcome decides whether the breaker closes). */
  readonly probe: boolean;
  /** Records the outcome and frees the in-flight slot. */
  end(outcome: PoolOutcome): void;
  /** Frees the in-flight slot without recording an outcome: the client went away, the pool did nothing wrong. */
  cancel(): void;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A snapshot of one pool's state, for pool strategies, the admin API and metrics. */
export interface PoolView {
  readonly name: string;
  readonly inFlight: number;
  /** Outcomes recorded since the process started (cancelled requests are not counted). */
  readonly requests: number;
  /** Failed outcomes since the process started. */
  readonly failures: number;
  /** Failed share of the outcomes in the sliding window (0 when the window is empty). */
  readonly errorRate: number;
  readonly ewmaTtftMs: number | undefined;
  readonly ewmaLatencyMs: number | undefined;
  readonly breaker: BreakerState;
  /** When an open breaker turns half-open, on the registry's clock (ms). Present only while open. */
  readonly openUntil?: number;
  /** The engine's own load figures, present only while fresh (stale data is never shown, so never trusted). */
  readonly scraped?: ScrapedLoad & { readonly ageMs: number };
}

export interface PoolStateOptions {
  /** Clock in ms. Default: monotonic, anchored at the Unix epoch (`performance.timeOrigin + performance.now()`). */
  readonly now?: () => number;
  /**
   * Weight of the newest sample in the TTFT and latency EWMAs. 0.2 gives a half-life of ln 0.5 / ln 0.8 ≈ 3.1
   * requests: quick enough to see a pool slow down within a handful of requests, smooth enough to ignore one outlier.
   */
  readonly ewmaAlpha?: number;
  /** Outcomes in the count-based sliding window behind `errorRate` and the error-ratio trip. */
  readonly errorWindow?: number;
  /** Consecutive failures that open a closed breaker. */
  readonly consecutiveFailures?: number;
  /** Error ratio over the window above which (strictly) a closed breaker opens... */
  readonly errorRatio?: number;
  /** ...once the window holds at least this many outcomes (so two early failures do not open it). */
  readonly minRequestsForRatio?: number;
  /** First cool-down of an open breaker, in ms; it doubles on each reopening without a close in between. */
  readonly openMs?: number;
  /** Longest cool-down, in ms. */
  readonly maxOpenMs?: number;
  /** Probe requests a half-open breaker lets through at a time. */
  readonly halfOpenProbes?: number;
  /** Age (ms) beyond which scraped load is stale and left out of views, unless `setScraped` says otherwise. */
  readonly scrapeStaleMs?: number;
}

/** The defaults of PoolStateOptions (see each option for why). */
export const POOL_STATE_DEFAULTS = {
  ewmaAlpha: 0.2,
  errorWindow: 50,
  consecutiveFailures: 5,
  errorRatio: 0.5,
  minRequestsForRatio: 20,
  openMs: 30_000,
  maxOpenMs: 300_000,
  halfOpenProbes: 1,
  scrapeStaleMs: 15_000,
} as const satisfies Required<Omit<PoolStateOptions, 'now'>>;

/** Retry-After suggested while a half-open breaker's probe slots are all taken: the probe should answer soon. */
export const HALF_OPEN_RETRY_MS = 1_000;

/** PoolStateOptions with every default applied. */
export type PoolStateSettings = Required<Omit<PoolStateOptions, 'now'>>;

function validate(settings: PoolStateSettings): PoolStateSettings {
  const positiveInt = (key: keyof PoolStateSettings) => {
    if (!Number.isInteger(settings[key]) || settings[key] < 1)
      throw new RangeError(`${key} must be an integer ≥ 1`);
  };
  positiveInt('errorWindow');
  positiveInt('consecutiveFailures');
  positiveInt('minRequestsForRatio');
  positiveInt('halfOpenProbes');
  if (!(settings.ewmaAlpha > 0 && settings.ewmaAlpha <= 1))
    throw new RangeError('ewmaAlpha must be in (0, 1]');
  if (!(settings.errorRatio > 0 && settings.errorRatio < 1))
    throw new RangeError('errorRatio must be in (0, 1)');
  if (settings.minRequestsForRatio > settings.errorWindow) {
    throw new RangeError('minRequestsForRatio must not exceed errorWindow');
  }
  if (!(settings.openMs > 0) || !(settings.maxOpenMs >= settings.openMs)) {
    throw new RangeError('openMs must be > 0 and maxOpenMs ≥ openMs');
  }
  if (!(settings.scrapeStaleMs > 0)) throw new RangeError('scrapeStaleMs must be > 0');
  return settings;
}

interface Scraped {
  readonly load: ScrapedLoad;
  readonly at: number;
  readonly staleAfterMs: number;
}

/** Count-based sliding window of outcomes (true = failed), as a ring buffer. */
class OutcomeWindow {
  readonly #slots: boolean[] = [];
  readonly #size: number;
  #next = 0;
  #failures = 0;

  constructor(size: number) {
    this.#size = size;
  }

  get count(): number {
    return this.#slots.length;
  }

  get ratio(): number {
    return this.#slots.length === 0 ? 0 : this.#failures / this.#slots.length;
  }

  push(failed: boolean): void {
    if (this.#slots.length < this.#size) {
      this.#slots.push(failed);
    } else {
      if (this.#slots[this.#next]) this.#failures--;
      this.#slots[this.#next] = failed;
      this.#next = (this.#next + 1) % this.#size;
    }
    if (failed) this.#failures++;
  }

  clear(): void {
    this.#slots.length = 0;
    this.#next = 0;
    this.#failures = 0;
  }
}

function ewma(previous: number | undefined, sample: number | undefined, alpha: number): number | undefined {
  if (sample === undefined || !Number.isFinite(sample) || sample < 0) return previous;
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}

class PoolState {
  inFlight = 0;
  requests = 0;
  failures = 0;
  ewmaTtftMs: number | undefined;
  ewmaLatencyMs: number | undefined;
  readonly window: OutcomeWindow;
  breaker: BreakerState = 'closed';
  /** Bumped on every breaker transition; an outcome moves the breaker only if its lease began in this epoch. */
  epoch = 0;
  consecutiveFailures = 0;
  /** Openings since the breaker last closed: the cool-down is openMs × 2^(openings − 1). */
  openings = 0;
  openUntil = 0;
  probesInFlight = 0;
  scraped: Scraped | undefined;

  constructor(windowSize: number) {
    this.window = new OutcomeWindow(windowSize);
  }
}

/**
 * Process-wide state of every pool, keyed by pool name so it survives policy reloads (a reload that keeps a pool
 * keeps its history; `retain` drops pools a reload removed).
 *
 * Circuit breaker: closed → open after `consecutiveFailures` failures in a row, or when more than `errorRatio` of
 * the last `errorWindow` outcomes failed (with at least `minRequestsForRatio` of them). Open for a cool-down that
 * doubles on each reopening up to `maxOpenMs`, then half-open: up to `halfOpenProbes` requests at a time are let
 * through; a probe's success closes the breaker (with a clean window and backoff), its failure reopens it.
 * Only outcomes of requests that began in the breaker's current state move it: failures of requests already in
 * flight when it opened do not extend the cool-down, and only probes decide a half-open breaker.
 * Statistics (counts, EWMAs, error rate) take every outcome. EWMAs take samples of successful responses only:
 * a fast 503 or a slow timeout says nothing about how quickly the pool serves.
 */
export class PoolStateRegistry {
  readonly #pools = new Map<string, PoolState>();
  #settings: PoolStateSettings;
  readonly #now: () => number;

  constructor(options: PoolStateOptions = {}) {
    const { now, ...rest } = options;
    this.#now = now ?? (() => performance.timeOrigin + performance.now());
    this.#settings = validate({ ...POOL_STATE_DEFAULTS, ...stripUndefined(rest) });
  }

  /** The registry's clock (ms); the metrics scraper stamps its data with it. */
  now(): number {
    return this.#now();
  }

  get settings(): Readonly<PoolStateSettings> {
    return this.#settings;
  }

  /**
   * New breaker and EWMA settings (a policy reload); unset options go back to their defaults. Pools keep their
   * state; a changed `errorWindow` applies to pools seen for the first time after the change.
   */
  configure(options: Omit<PoolStateOptions, 'now'>): void {
    this.#settings = validate({ ...POOL_STATE_DEFAULTS, ...stripUndefined(options) });
  }

  /** Counts a request in flight on `pool`; in a half-open breaker with a free slot, the request is a probe. */
  begin(pool: string): PoolLease {
    const state = this.#state(pool);
    this.#refresh(state);
    const probe = state.breaker === 'half_open' && state.probesInFlight < this.#settings.halfOpenProbes;
    if (probe) state.probesInFlight++;
    state.inFlight++;
    const epoch = state.epoch;
    let done = false;
    const release = (): boolean => {
      if (done) return false;
      done = true;
      state.inFlight--;
      if (probe && state.epoch === epoch) state.probesInFlight--;
      return true;
    };
    return {
      pool,
      probe,
      end: (outcome) => {
        if (release()) this.#record(state, outcome, epoch, probe);
      },
      cancel: () => {
        release();
      },
    };
  }

  /** Whether a new request may go to `pool`: its breaker is closed, or half-open with a free probe slot. */
  admit(pool: string): boolean {
    const state = this.#pools.get(pool);
    if (state === undefined) return true;
    this.#refresh(state);
    if (state.breaker === 'closed') return true;
    return state.breaker === 'half_open' && state.probesInFlight < this.#settings.halfOpenProbes;
  }

  /** Breaker state of `pool` (closed for a pool never seen). */
  breaker(pool: string): BreakerState {
    const state = this.#pools.get(pool);
    if (state === undefined) return 'closed';
    this.#refresh(state);
    return state.breaker;
  }

  /**
   * How long a client should wait before retrying (a 503's `Retry-After`, in ms; round up to seconds): the rest of
   * the cool-down when open, HALF_OPEN_RETRY_MS when a probe holds the half-open slots, 0 when the pool admits.
   */
  retryAfterMs(pool: string): number {
    const state = this.#pools.get(pool);
    if (state === undefined) return 0;
    this.#refresh(state);
    if (state.breaker === 'open') return Math.max(0, Math.ceil(state.openUntil - this.#now()));
    return this.admit(pool) ? 0 : HALF_OPEN_RETRY_MS;
  }

  /**
   * Stores load scraped from the pool's engine at time `at` (registry clock). Views show it while it is at most
   * `staleAfterMs` old (default `scrapeStaleMs`).
   */
  setScraped(pool: string, load: ScrapedLoad, at: number, staleAfterMs = this.#settings.scrapeStaleMs): void {
    this.#state(pool).scraped = { load: { ...load }, at, staleAfterMs };
  }

  /** Forgets the scraped load of `pool` (e.g. its metrics endpoint was removed). */
  clearScraped(pool: string): void {
    const state = this.#pools.get(pool);
    if (state !== undefined) state.scraped = undefined;
  }

  /** Makes `pools` appear in `views()` before their first request (call with the policy's pools on load). */
  track(pools: Iterable<string>): void {
    for (const pool of pools) this.#state(pool);
  }

  /**
   * Drops the state of pools not in `keep` (after a reload removed them), except those with requests still in
   * flight, whose leases must stay valid.
   */
  retain(keep: Iterable<string>): void {
    const kept = new Set(keep);
    for (const [name, state] of this.#pools) {
      if (!kept.has(name) && state.inFlight === 0) this.#pools.delete(name);
    }
  }

  view(pool: string): PoolView {
    const state = this.#pools.get(pool);
    return state === undefined ? emptyView(pool) : this.#view(pool, state);
  }

  views(): PoolView[] {
    return [...this.#pools].map(([name, state]) => this.#view(name, state));
  }

  #view(name: string, state: PoolState): PoolView {
    this.#refresh(state);
    const now = this.#now();
    const scraped = state.scraped;
    const ageMs = scraped === undefined ? undefined : Math.max(0, now - scraped.at);
    const fresh = scraped !== undefined && ageMs !== undefined && ageMs <= scraped.staleAfterMs;
    return {
      name,
      inFlight: state.inFlight,
      requests: state.requests,
      failures: state.failures,
      errorRate: state.window.ratio,
      ewmaTtftMs: state.ewmaTtftMs,
      ewmaLatencyMs: state.ewmaLatencyMs,
      breaker: state.breaker,
      ...(state.breaker === 'open' ? { openUntil: state.openUntil } : {}),
      ...(fresh ? { scraped: { ...scraped.load, ageMs } } : {}),
    };
  }

  #state(pool: string): PoolState {
    let state = this.#pools.get(pool);
    if (state === undefined) {
      state = new PoolState(this.#settings.errorWindow);
      this.#pools.set(pool, state);
    }
    return state;
  }

  /** Open → half-open once the cool-down is over (evaluated lazily: no timers). */
  #refresh(state: PoolState): void {
    if (state.breaker === 'open' && this.#now() >= state.openUntil) this.#transition(state, 'half_open');
  }

  #transition(state: PoolState, to: BreakerState): void {
    state.breaker = to;
    state.epoch++;
    state.probesInFlight = 0;
    state.consecutiveFailures = 0;
    if (to === 'open') {
      state.openings++;
      const coolDown = this.#settings.openMs * 2 ** (state.openings - 1);
      state.openUntil = this.#now() + Math.min(coolDown, this.#settings.maxOpenMs);
    } else if (to === 'closed') {
      state.openings = 0;
      // A closed breaker starts afresh: the window still full of the outage's failures would reopen it at once.
      state.window.clear();
    }
  }

  #record(state: PoolState, outcome: PoolOutcome, epoch: number, probe: boolean): void {
    const s = this.#settings;
    state.requests++;
    if (outcome.failed) state.failures++;
    state.window.push(outcome.failed);
    const served = !outcome.failed && (outcome.status === undefined || outcome.status < 400);
    if (served) {
      state.ewmaTtftMs = ewma(state.ewmaTtftMs, outcome.ttftMs, s.ewmaAlpha);
      state.ewmaLatencyMs = ewma(state.ewmaLatencyMs, outcome.latencyMs, s.ewmaAlpha);
    }
    this.#refresh(state);
    if (epoch !== state.epoch) return;
    if (state.breaker === 'half_open') {
      if (probe) this.#transition(state, outcome.failed ? 'open' : 'closed');
      return;
    }
    if (state.breaker !== 'closed') return;
    state.consecutiveFailures = outcome.failed ? state.consecutiveFailures + 1 : 0;
    const tooMany = state.consecutiveFailures >= s.consecutiveFailures;
    const tooRatio = state.window.count >= s.minRequestsForRatio && state.window.ratio > s.errorRatio;
    if (tooMany || tooRatio) this.#transition(state, 'open');
  }
}

function emptyView(name: string): PoolView {
  return {
    name,
    inFlight: 0,
    requests: 0,
    failures: 0,
    errorRate: 0,
    ewmaTtftMs: undefined,
    ewmaLatencyMs: undefined,
    breaker: 'closed',
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
