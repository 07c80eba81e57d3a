// Live pool state on a fake clock: counts, EWMAs, the sliding error window and the circuit breaker's state machine.
import { describe, expect, it } from 'vitest';
import {
  HALF_OPEN_RETRY_MS,
  POOL_STATE_DEFAULTS,
  type PoolOutcome,
  type PoolStateOptions,
  PoolStateRegistry,
} from '../../../src/pools/pool-state.ts';

const OK: PoolOutcome = { status: 200, failed: false };
const FAIL: PoolOutcome = { status: 503, failed: true };

function setup(options: PoolStateOptions = {}) {
  let now = 1_000_000;
  const registry = new PoolStateRegistry({ now: () => now, ...options });
  return {
    registry,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
    /** Sends and ends one request per outcome. */
    run: (pool: string, ...outcomes: PoolOutcome[]) => {
      for (const outcome of outcomes) registry.begin(pool).end(outcome);
    },
  };
}

const repeat = <T>(value: T, n: number): T[] => Array.from({ length: n }, () => value);

/** Opens the breaker of `pool` with consecutive failures. */
function open(t: ReturnType<typeof setup>, pool = 'p') {
  t.run(pool, ...repeat(FAIL, POOL_STATE_DEFAULTS.consecutiveFailures));
  expect(t.registry.breaker(pool)).toBe('open');
}

describe('PoolStateRegistry counts', () => {
  it('reports a pool never seen as an empty, closed, admitting pool (without creating it)', () => {
    const { registry } = setup();
    expect(registry.view('h100')).toEqual({
      name: 'h100',
      inFlight: 0,
      requests: 0,
      failures: 0,
      errorRate: 0,
      ewmaTtftMs: undefined,
      ewmaLatencyMs: undefined,
      breaker: 'closed',
    });
    expect(registry.admit('h100')).toBe(true);
    expect(registry.retryAfterMs('h100')).toBe(0);
    expect(registry.views()).toEqual([]);
  });

  it('counts requests in flight until they end, and outcomes once they do', () => {
    const { registry } = setup();
    const a = registry.begin('l4');
    const b = registry.begin('l4');
    expect(registry.view('l4')).toMatchObject({ inFlight: 2, requests: 0 });
    a.end(OK);
    expect(registry.view('l4')).toMatchObject({ inFlight: 1, requests: 1, failures: 0 });
    b.end(FAIL);
    expect(registry.view('l4')).toMatchObject({ inFlight: 0, requests: 2, failures: 1, errorRate: 0.5 });
  });

  it('records an outcome once: a second end, or a cancel after the end, is ignored', () => {
    const { registry } = setup();
    const lease = registry.begin('l4');
    lease.end(FAIL);
    lease.end(FAIL);
    lease.end(OK);
    lease.cancel();
    expect(registry.view('l4')).toMatchObject({ inFlight: 0, requests: 1, failures: 1 });
  });

  it('frees a cancelled request without counting it, and ignores an end after the cancel', () => {
    const { registry } = setup();
    const lease = registry.begin('l4');
    lease.cancel();
    lease.cancel();
    lease.end(FAIL);
    expect(registry.view('l4')).toMatchObject({ inFlight: 0, requests: 0, failures: 0, errorRate: 0 });
  });

  it('never opens the breaker on cancellations, however many', () => {
    const { registry } = setup();
    for (let i = 0; i < 100; i++) registry.begin('l4').cancel();
    expect(registry.breaker('l4')).toBe('closed');
  });

  it('does not count a 4xx as a pool failure', () => {
    const t = setup();
    t.run('l4', ...repeat<PoolOutcome>({ status: 400, failed: false }, 30));
    expect(t.registry.view('l4')).toMatchObject({ requests: 30, failures: 0, breaker: 'closed' });
  });

  it('computes the error rate over the last errorWindow outcomes only', () => {
    const t = setup({ errorWindow: 4, minRequestsForRatio: 4, consecutiveFailures: 100, errorRatio: 0.99 });
    t.run('l4', FAIL, FAIL, OK, OK);
    expect(t.registry.view('l4').errorRate).toBe(0.5);
    t.run('l4', OK, OK);
    expect(t.registry.view('l4').errorRate).toBe(0);
    t.run('l4', FAIL);
    expect(t.registry.view('l4')).toMatchObject({ errorRate: 0.25, requests: 7, failures: 3 });
  });

  it('lists tracked and used pools in views(), and retain() drops removed idle pools only', () => {
    const { registry } = setup();
    registry.track(['l4', 'h100']);
    const lease = registry.begin('a100');
    expect(registry.views().map((v) => v.name)).toEqual(['l4', 'h100', 'a100']);
    registry.retain(['l4']);
    expect(registry.views().map((v) => v.name)).toEqual(['l4', 'a100']);
    lease.end(OK);
    expect(registry.view('a100').requests).toBe(1);
    registry.retain(['l4']);
    expect(registry.views().map((v) => v.name)).toEqual(['l4']);
  });

  it('rejects inconsistent options', () => {
    expect(() => new PoolStateRegistry({ ewmaAlpha: 0 })).toThrow(RangeError);
    expect(() => new PoolStateRegistry({ errorWindow: 10, minRequestsForRatio: 20 })).toThrow(RangeError);
    expect(() => new PoolStateRegistry({ openMs: 10_000, maxOpenMs: 5_000 })).toThrow(RangeError);
    expect(() => new PoolStateRegistry({ halfOpenProbes: 0 })).toThrow(RangeError);
    expect(() => new PoolStateRegistry({ errorRatio: 1 })).toThrow(RangeError);
  });
});

describe('PoolStateRegistry EWMA', () => {
  it('starts at the first sample and moves alpha (0.2) of the way to each new one', () => {
    const t = setup();
    t.run('l4', { status: 200, failed: false, ttftMs: 100, latencyMs: 1000 });
    expect(t.registry.view('l4')).toMatchObject({ ewmaTtftMs: 100, ewmaLatencyMs: 1000 });
    t.run('l4', { status: 200, failed: false, ttftMs: 200, latencyMs: 2000 });
    expect(t.registry.view('l4').ewmaTtftMs).toBeCloseTo(120, 10);
    expect(t.registry.view('l4').ewmaLatencyMs).toBeCloseTo(1200, 10);
  });

  it('halves the distance to a new level in about three samples (half-life ln 0.5 / ln 0.8 ≈ 3.1)', () => {
    const t = setup();
    t.run('l4', { status: 200, failed: false, latencyMs: 0 });
    t.run('l4', ...repeat<PoolOutcome>({ status: 200, failed: false, latencyMs: 1000 }, 3));
    // 1 − 0.8³ = 0.488 of the step after three samples.
    expect(t.registry.view('l4').ewmaLatencyMs).toBeCloseTo(488, 6);
  });

  it('keeps each EWMA separate: an outcome without TTFT moves only latency', () => {
    const t = setup();
    t.run('l4', { status: 200, failed: false, ttftMs: 50, latencyMs: 500 });
    t.run('l4', { status: 200, failed: false, latencyMs: 1500 });
    expect(t.registry.view('l4')).toMatchObject({ ewmaTtftMs: 50, ewmaLatencyMs: 700 });
  });

  it('takes samples of served responses only: failures, 4xx, negative and non-finite values are ignored', () => {
    const t = setup({ consecutiveFailures: 100 });
    t.run('l4', { status: 200, failed: false, ttftMs: 100, latencyMs: 100 });
    t.run(
      'l4',
      { status: 503, failed: true, ttftMs: 1, latencyMs: 1 },
      { status: undefined, failed: true, latencyMs: 60_000 },
      { status: 429, failed: false, ttftMs: 1, latencyMs: 1 },
      { status: 200, failed: false, ttftMs: -5, latencyMs: Number.NaN },
      { status: 200, failed: false, ttftMs: Number.POSITIVE_INFINITY },
    );
    expect(t.registry.view('l4')).toMatchObject({ ewmaTtftMs: 100, ewmaLatencyMs: 100 });
  });
});

describe('PoolStateRegistry circuit breaker', () => {
  it('opens after five consecutive failures, not after four', () => {
    const t = setup();
    t.run('p', ...repeat(FAIL, 4));
    expect(t.registry.breaker('p')).toBe('closed');
    expect(t.registry.admit('p')).toBe(true);
    t.run('p', FAIL);
    expect(t.registry.breaker('p')).toBe('open');
    expect(t.registry.admit('p')).toBe(false);
  });

  it('resets the consecutive count on a success', () => {
    const t = setup();
    t.run('p', ...repeat(FAIL, 4), OK, ...repeat(FAIL, 4));
    expect(t.registry.breaker('p')).toBe('closed');
  });

  it('opens when more than half of at least 20 outcomes failed, without five in a row', () => {
    const t = setup();
    const pattern = [FAIL, FAIL, OK];
    const outcomes = Array.from({ length: 20 }, (_, i) => pattern[i % 3] as PoolOutcome);
    t.run('p', ...outcomes.slice(0, 19));
    // 13 of 19 failed, but the window holds fewer than minRequestsForRatio outcomes.
    expect(t.registry.breaker('p')).toBe('closed');
    t.run('p', outcomes[19] as PoolOutcome);
    expect(t.registry.breaker('p')).toBe('open');
  });

  it('stays closed at exactly the threshold ratio (the ratio must exceed it)', () => {
    const t = setup();
    t.run('p', ...Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? OK : FAIL)));
    expect(t.registry.view('p')).toMatchObject({ errorRate: 0.5, breaker: 'closed' });
  });

  it('stays open for the cool-down, with a Retry-After of what is left, then turns half-open', () => {
    const t = setup();
    open(t);
    expect(t.registry.view('p').openUntil).toBe(t.now() + 30_000);
    expect(t.registry.retryAfterMs('p')).toBe(30_000);
    t.advance(10_000);
    expect(t.registry.retryAfterMs('p')).toBe(20_000);
    t.advance(19_999);
    expect(t.registry.admit('p')).toBe(false);
    t.advance(1);
    expect(t.registry.breaker('p')).toBe('half_open');
    expect(t.registry.view('p').openUntil).toBeUndefined();
    expect(t.registry.admit('p')).toBe(true);
    expect(t.registry.retryAfterMs('p')).toBe(0);
  });

  it('lets one probe through at a time when half-open; a successful probe closes the breaker', () => {
    const t = setup();
    open(t);
    t.advance(30_000);
    const probe = t.registry.begin('p');
    expect(probe.probe).toBe(true);
    expect(t.registry.admit('p')).toBe(false);
    expect(t.registry.retryAfterMs('p')).toBe(HALF_OPEN_RETRY_MS);
    // Sent anyway (e.g. a last resort): counted, but not a probe.
    const extra = t.registry.begin('p');
    expect(extra.probe).toBe(false);
    extra.end(OK);
    expect(t.registry.breaker('p')).toBe('half_open');
    probe.end(OK);
    expect(t.registry.breaker('p')).toBe('closed');
    expect(t.registry.admit('p')).toBe(true);
    // A closed breaker starts with a clean window.
    expect(t.registry.view('p').errorRate).toBe(0);
  });

  it('reopens on a failed probe, doubling the cool-down up to the maximum', () => {
    const t = setup();
    open(t);
    const coolDowns: number[] = [];
    for (let i = 0; i < 5; i++) {
      const until = t.registry.view('p').openUntil as number;
      coolDowns.push(until - t.now());
      t.advance(until - t.now());
      const probe = t.registry.begin('p');
      expect(probe.probe).toBe(true);
      probe.end(FAIL);
      expect(t.registry.breaker('p')).toBe('open');
    }
    coolDowns.push((t.registry.view('p').openUntil as number) - t.now());
    expect(coolDowns).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
  });

  it('restarts the backoff at the base cool-down after the breaker closed', () => {
    const t = setup();
    open(t);
    t.advance(30_000);
    t.registry.begin('p').end(FAIL);
    expect(t.registry.retryAfterMs('p')).toBe(60_000);
    t.advance(60_000);
    t.registry.begin('p').end(OK);
    expect(t.registry.breaker('p')).toBe('closed');
    open(t);
    expect(t.registry.retryAfterMs('p')).toBe(30_000);
  });

  it('frees the probe slot on cancel without deciding anything', () => {
    const t = setup();
    open(t);
    t.advance(30_000);
    const probe = t.registry.begin('p');
    probe.cancel();
    expect(t.registry.breaker('p')).toBe('half_open');
    expect(t.registry.admit('p')).toBe(true);
    const next = t.registry.begin('p');
    expect(next.probe).toBe(true);
    next.end(OK);
    expect(t.registry.breaker('p')).toBe('closed');
  });

  it('allows halfOpenProbes probes at once when configured', () => {
    const t = setup({ halfOpenProbes: 2 });
    open(t);
    t.advance(30_000);
    const a = t.registry.begin('p');
    expect(t.registry.admit('p')).toBe(true);
    const b = t.registry.begin('p');
    expect([a.probe, b.probe, t.registry.admit('p')]).toEqual([true, true, false]);
    a.end(OK);
    expect(t.registry.breaker('p')).toBe('closed');
    // The other probe began in the half-open state: its late failure does not touch the closed breaker.
    b.end(FAIL);
    expect(t.registry.breaker('p')).toBe('closed');
  });

  it('ignores late failures of requests that began before it opened (the cool-down is not extended)', () => {
    const t = setup();
    const late = repeat(undefined, 3).map(() => t.registry.begin('p'));
    open(t);
    const until = t.registry.view('p').openUntil;
    t.advance(5_000);
    for (const lease of late) lease.end(FAIL);
    expect(t.registry.view('p')).toMatchObject({ breaker: 'open', openUntil: until, inFlight: 0 });
    // They still count in the statistics.
    expect(t.registry.view('p').failures).toBe(8);
  });

  it('does not let a request from before the opening decide the half-open state', () => {
    const t = setup();
    const early = t.registry.begin('p');
    open(t);
    t.advance(30_000);
    expect(t.registry.breaker('p')).toBe('half_open');
    early.end(OK);
    expect(t.registry.breaker('p')).toBe('half_open');
  });

  it('keeps breakers of different pools apart', () => {
    const t = setup();
    open(t, 'l4');
    expect(t.registry.admit('l4')).toBe(false);
    expect(t.registry.admit('h100')).toBe(true);
  });
});

describe('PoolStateRegistry scraped load', () => {
  it('shows scraped load with its age while fresh, and hides it once stale', () => {
    const t = setup();
    t.registry.setScraped('l4', { waiting: 3, running: 10, kvCacheUsage: 0.4 }, t.now());
    expect(t.registry.view('l4').scraped).toEqual({ waiting: 3, running: 10, kvCacheUsage: 0.4, ageMs: 0 });
    t.advance(15_000);
    expect(t.registry.view('l4').scraped).toMatchObject({ ageMs: 15_000 });
    t.advance(1);
    expect(t.registry.view('l4').scraped).toBeUndefined();
  });

  it('honours a per-call staleness bound, and clearScraped forgets the data', () => {
    const t = setup();
    t.registry.setScraped('l4', { waiting: 1 }, t.now(), 100);
    t.advance(101);
    expect(t.registry.view('l4').scraped).toBeUndefined();
    t.registry.setScraped('l4', { waiting: 2 }, t.now());
    t.registry.clearScraped('l4');
    expect(t.registry.view('l4').scraped).toBeUndefined();
  });

  it('copies the load it is given', () => {
    const t = setup();
    const load = { waiting: 1 };
    t.registry.setScraped('l4', load, t.now());
    load.waiting = 99;
    expect(t.registry.view('l4').scraped?.waiting).toBe(1);
  });
});
