// Admission against the policy's rate limits: every applicable limit is checked and then charged in one
// synchronous step, so concurrent requests can never overshoot a limit. Counters live in RateLimitCounters (one
// per process, kept across policy reloads); a RateLimitTicket carries what one request holds until it ends.
import { RateLimitedError, type RateLimitReason } from '../errors.ts';
import type { CallerIdentity } from '../request/identity.ts';
import { type CompiledShedding, compileShedding } from './load-shedding.ts';
import { type RateLimitKeyHeaders, requestKeys } from './rate-limit-keys.ts';
import type { RateLimitDocument, RateLimitKeySource, RateLimitsDocument } from './rate-limit-schema.ts';
import type { SharedAdmission, SharedRateLimitCounters } from './shared-counters.ts';
import { SlidingWindowLog, type WindowCharge } from './sliding-window.ts';

export interface CompiledRateLimit {
  readonly name: string;
  readonly key: RateLimitKeySource;
  readonly models: ReadonlySet<string> | undefined;
  readonly pools: ReadonlySet<string> | undefined;
  readonly decisions: ReadonlySet<string> | undefined;
  readonly requestsPerWindow: number | undefined;
  readonly tokensPerWindow: number | undefined;
  readonly windowMs: number;
  readonly maxConcurrent: number | undefined;
  readonly missingKey: 'anonymous' | 'skip';
  /** Scoped by model, pool or decision: checked once routing chose them. */
  readonly afterRouting: boolean;
}

export interface CompiledRateLimits {
  readonly headers: RateLimitKeyHeaders;
  readonly envoyMetadata: boolean;
  readonly shared: boolean;
  readonly limits: readonly CompiledRateLimit[];
  readonly shedding?: CompiledShedding | undefined;
}

const setOf = (names: readonly string[] | undefined) => (names ? new Set(names) : undefined);

function compileLimit(doc: RateLimitDocument): CompiledRateLimit {
  return {
    name: doc.name,
    key: doc.key,
    models: setOf(doc.models),
    pools: setOf(doc.pools),
    decisions: setOf(doc.decisions),
    requestsPerWindow: doc.requests_per_window,
    tokensPerWindow: doc.tokens_per_window,
    windowMs: (doc.window_seconds ?? 0) * 1000,
    maxConcurrent: doc.max_concurrent,
    missingKey: doc.missing_key,
    afterRouting: doc.models !== undefined || doc.pools !== undefined || doc.decisions !== undefined,
  };
}

/** `poolCapacity`: the `least_loaded` capacity figures shedding falls back on. */
export function compileRateLimits(
  doc: RateLimitsDocument,
  poolCapacity: ReadonlyMap<string, number> = new Map(),
): CompiledRateLimits {
  return {
    headers: {
      tenantHeader: doc.tenant_header,
      userHeader: doc.user_header,
      apiKeyHeader: doc.api_key_header,
    },
    envoyMetadata: doc.envoy_metadata,
    shared: doc.counters === 'shared',
    limits: doc.limits.map(compileLimit),
    shedding: doc.shedding && compileShedding(doc.shedding, poolCapacity),
  };
}

/** Scope names a limit refers to that the policy does not define (reported at load). */
export function unknownScopeNames(
  doc: RateLimitsDocument,
  known: { models: ReadonlySet<string>; pools: ReadonlySet<string>; decisions: ReadonlySet<string> },
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  doc.limits.forEach((limit, index) => {
    for (const field of ['models', 'pools', 'decisions'] as const)
      (limit[field] ?? []).forEach((name, at) => {
        if (!known[field].has(name))
          problems.push({
            path: ['limits', index, field, at],
            message: `rate limit '${limit.name}' names ${field.slice(0, -1)} '${name}', which the policy does not define`,
          });
      });
  });
  return problems;
}

interface KeyCounters {
  readonly requests: SlidingWindowLog | undefined;
  readonly tokens: SlidingWindowLog | undefined;
  inFlight: number;
}

/** Keys a limit holds before it drops idle ones. */
const SWEEP_FLOOR = 10_000;

/** The counters of one limit, by key. */
class LimitCounters {
  readonly keys = new Map<string, KeyCounters>();
  private sweepAt = SWEEP_FLOOR;

  constructor(readonly limit: CompiledRateLimit) {}

  counters(key: string): KeyCounters {
    let counters = this.keys.get(key);
    if (!counters) {
      if (this.keys.size >= this.sweepAt) this.sweep();
      const { requestsPerWindow, tokensPerWindow, windowMs } = this.limit;
      counters = {
        requests: requestsPerWindow === undefined ? undefined : new SlidingWindowLog(windowMs),
        tokens: tokensPerWindow === undefined ? undefined : new SlidingWindowLog(windowMs),
        inFlight: 0,
      };
      this.keys.set(key, counters);
    }
    return counters;
  }

  /** Drops keys with nothing in their windows and nothing in flight: a flood of one-off keys stays bounded. */
  private sweep(): void {
    for (const [key, c] of this.keys)
      if (c.inFlight === 0 && (c.requests?.empty ?? true) && (c.tokens?.empty ?? true)) this.keys.delete(key);
    this.sweepAt = Math.max(SWEEP_FLOOR, this.keys.size * 2);
  }
}

/**
 * Counters of every limit, for the life of the process: a policy reload keeps a limit's counts when its name and
 * settings stay the same. `now`: a monotonic clock in ms (tests inject one).
 */
export class RateLimitCounters {
  private readonly byName = new Map<string, LimitCounters>();

  constructor(readonly now: () => number = () => performance.now()) {}

  forLimit(limit: CompiledRateLimit): LimitCounters {
    const current = this.byName.get(limit.name);
    if (current && sameSettings(current.limit, limit)) return current;
    const fresh = new LimitCounters(limit);
    this.byName.set(limit.name, fresh);
    return fresh;
  }
}

function sameSettings(a: CompiledRateLimit, b: CompiledRateLimit): boolean {
  return (
    a.key === b.key &&
    a.windowMs === b.windowMs &&
    a.requestsPerWindow === b.requestsPerWindow &&
    a.tokensPerWindow === b.tokensPerWindow &&
    a.maxConcurrent === b.maxConcurrent
  );
}

interface Charge {
  readonly counters: KeyCounters;
  readonly request: WindowCharge | undefined;
  readonly tokens: WindowCharge | undefined;
  readonly concurrent: boolean;
}

/** What one request holds in one counter store (this process's, or Redis shared by the replicas). */
export interface RateLimitHold {
  /** The answer's usage is known: the token charges become `totalTokens`. */
  settle(totalTokens: number): void;
  /** Frees the concurrency slots (called once). */
  release(): void;
  /** Takes back the window charges (the request never reached a model); `release` is called as well. */
  refund(): void;
}

/** Charges in this process's counters. */
class LocalHold implements RateLimitHold {
  constructor(
    private readonly charges: readonly Charge[],
    private readonly now: () => number,
  ) {}

  settle(totalTokens: number): void {
    const now = this.now();
    for (const charge of this.charges)
      if (charge.tokens) charge.counters.tokens?.correct(charge.tokens, totalTokens, now);
  }

  release(): void {
    for (const charge of this.charges) if (charge.concurrent) charge.counters.inFlight--;
  }

  refund(): void {
    const now = this.now();
    for (const charge of this.charges) {
      if (charge.request) charge.counters.requests?.refund(charge.request, now);
      if (charge.tokens) charge.counters.tokens?.refund(charge.tokens, now);
    }
  }
}

/** What one request holds until it ends: its window charges (correctable) and its concurrency slots. */
export class RateLimitTicket {
  private released = false;

  constructor(
    private readonly holds: readonly RateLimitHold[],
    /** Names of the limits the request was counted against (trace, explain). */
    readonly applied: readonly string[],
  ) {}

  static readonly NONE = new RateLimitTicket([], []);

  join(other: RateLimitTicket): RateLimitTicket {
    if (other.holds.length === 0) return this;
    if (this.holds.length === 0) return other;
    return new RateLimitTicket([...this.holds, ...other.holds], [...this.applied, ...other.applied]);
  }

  /** The answer's usage is known: token charges become what the request really used. */
  settle(totalTokens: number): void {
    for (const hold of this.holds) hold.settle(totalTokens);
  }

  /** The request ended (answered, failed or cancelled): its concurrency slots free up. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const hold of this.holds) hold.release();
  }

  /** The request never reached a model (refused by a later limit, or routing failed): take everything back. */
  cancel(): void {
    for (const hold of this.holds) hold.refund();
    this.release();
  }
}

/** What admission needs to know of a request; routing facts only after routing. */
export interface RateLimitRequest {
  readonly headers: ReadonlyMap<string, string>;
  readonly identity: CallerIdentity | undefined;
  readonly promptTokens: number;
  readonly model?: string | undefined;
  readonly pool?: string | undefined;
  readonly decision?: string | undefined;
}

const ANONYMOUS_KEY = 'anonymous';

export function inScope(limit: CompiledRateLimit, request: RateLimitRequest): boolean {
  if (limit.models && !(request.model !== undefined && limit.models.has(request.model))) return false;
  if (limit.pools && !(request.pool !== undefined && limit.pools.has(request.pool))) return false;
  if (limit.decisions && !(request.decision !== undefined && limit.decisions.has(request.decision)))
    return false;
  return true;
}

interface Refusal {
  readonly limit: CompiledRateLimit;
  readonly reason: RateLimitReason;
  readonly retryAfterMs: number;
}

function refusalOf(
  counters: KeyCounters,
  limit: CompiledRateLimit,
  tokens: number,
  now: number,
): Refusal | undefined {
  if (limit.maxConcurrent !== undefined && counters.inFlight >= limit.maxConcurrent)
    // A slot frees when a request ends, which no clock predicts: one second is the smallest Retry-After.
    return { limit, reason: 'concurrency', retryAfterMs: 1000 };
  if (
    counters.requests &&
    limit.requestsPerWindow !== undefined &&
    !counters.requests.fits(1, limit.requestsPerWindow, now)
  )
    return {
      limit,
      reason: 'requests',
      retryAfterMs: counters.requests.msUntilFits(1, limit.requestsPerWindow, now),
    };
  if (
    counters.tokens &&
    limit.tokensPerWindow !== undefined &&
    !counters.tokens.fits(tokens, limit.tokensPerWindow, now)
  )
    return {
      limit,
      reason: 'tokens',
      retryAfterMs: counters.tokens.msUntilFits(tokens, limit.tokensPerWindow, now),
    };
  return undefined;
}

interface SelectedLimit {
  readonly limitCounters: LimitCounters;
  readonly key: string;
}

export class RateLimiter {
  private readonly before: readonly LimitCounters[];
  private readonly after: readonly LimitCounters[];

  constructor(
    readonly settings: CompiledRateLimits,
    private readonly counters: RateLimitCounters,
    /** Counters the replicas share (policy `counters: shared`); local ones serve while it is unavailable. */
    private readonly shared?: SharedRateLimitCounters,
  ) {
    const all = settings.limits.map((limit) => counters.forLimit(limit));
    this.before = all.filter((c) => !c.limit.afterRouting);
    this.after = all.filter((c) => c.limit.afterRouting);
  }

  /** The request's keys by source (for Envoy's descriptors; the api key already a digest). */
  keysOf(request: Pick<RateLimitRequest, 'headers' | 'identity'>) {
    return requestKeys(this.settings.headers, request.headers, request.identity);
  }

  /**
   * Checks and charges the limits of one stage (unscoped ones before routing, scoped ones after), throwing
   * RateLimitedError with the longest wait among the limits the request is over.
   */
  admit(
    stage: 'before_routing' | 'after_routing',
    request: RateLimitRequest,
  ): RateLimitTicket | Promise<RateLimitTicket> {
    const limits = stage === 'before_routing' ? this.before : this.after;
    if (limits.length === 0) return RateLimitTicket.NONE;
    const keys = this.keysOf(request);
    const tokens = Math.max(0, Math.round(request.promptTokens));
    const selected: SelectedLimit[] = [];
    for (const limitCounters of limits) {
      const { limit } = limitCounters;
      if (stage === 'after_routing' && !inScope(limit, request)) continue;
      const key = keys[limit.key] ?? (limit.missingKey === 'anonymous' ? ANONYMOUS_KEY : undefined);
      if (key !== undefined) selected.push({ limitCounters, key });
    }
    if (selected.length === 0) return RateLimitTicket.NONE;
    if (this.settings.shared && this.shared?.available)
      return this.admitShared(this.shared, selected, tokens);
    return this.admitLocal(selected, tokens);
  }

  /** On Redis; when it does not answer, against this process's counters (serving on). */
  private async admitShared(
    shared: SharedRateLimitCounters,
    selected: readonly SelectedLimit[],
    tokens: number,
  ): Promise<RateLimitTicket> {
    const entries = selected.map(({ limitCounters: { limit }, key }) => ({
      limitName: limit.name,
      key,
      windowMs: limit.windowMs,
      requestsPerWindow: limit.requestsPerWindow,
      tokensPerWindow: limit.tokensPerWindow,
      maxConcurrent: limit.maxConcurrent,
    }));
    let admission: SharedAdmission;
    try {
      admission = await shared.admit(entries, tokens);
    } catch {
      return this.admitLocal(selected, tokens);
    }
    if (!admission.admitted) {
      const limit = (selected[admission.index] as SelectedLimit).limitCounters.limit;
      throw rateLimitedError({ limit, reason: admission.reason, retryAfterMs: admission.retryAfterMs });
    }
    return new RateLimitTicket(
      [admission],
      selected.map(({ limitCounters }) => limitCounters.limit.name),
    );
  }

  /** Checks and charges in one synchronous step: no other admission can interleave. */
  private admitLocal(selected: readonly SelectedLimit[], tokens: number): RateLimitTicket {
    const now = this.counters.now();
    const applicable: { counters: KeyCounters; limit: CompiledRateLimit }[] = [];
    let refusal: Refusal | undefined;
    for (const { limitCounters, key } of selected) {
      const { limit } = limitCounters;
      const counters = limitCounters.counters(key);
      const refused = refusalOf(counters, limit, tokens, now);
      if (refused && (!refusal || refused.retryAfterMs > refusal.retryAfterMs)) refusal = refused;
      applicable.push({ counters, limit });
    }
    if (refusal) throw rateLimitedError(refusal);
    const charges = applicable.map(({ counters, limit }): Charge => {
      const concurrent = limit.maxConcurrent !== undefined;
      if (concurrent) counters.inFlight++;
      return {
        counters,
        request: counters.requests?.charge(1, now),
        tokens: counters.tokens?.charge(tokens, now),
        concurrent,
      };
    });
    return new RateLimitTicket(
      [new LocalHold(charges, this.counters.now)],
      applicable.map(({ limit }) => limit.name),
    );
  }
}

function rateLimitedError(refusal: Refusal): RateLimitedError {
  const { limit, reason } = refusal;
  const retryAfterSeconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const what =
    reason === 'concurrency'
      ? `${limit.maxConcurrent} concurrent requests`
      : reason === 'requests'
        ? `${limit.requestsPerWindow} requests per ${limit.windowMs / 1000} s`
        : `${limit.tokensPerWindow} tokens per ${limit.windowMs / 1000} s`;
  return new RateLimitedError(
    limit.name,
    reason,
    `Rate limit '${limit.name}' reached (${what} per ${limit.key}); retry after ${retryAfterSeconds} s`,
    retryAfterSeconds,
  );
}
