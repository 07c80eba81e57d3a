// Background scrape of each pool's model-server metrics into the pool state registry; never on the request path.
import type { PoolStateRegistry } from './pool-state.ts';
import { hasLoad, type ScrapedLoad, ServerMetricsParser } from './server-metrics.ts';

/** A pool whose engine exposes Prometheus metrics; pools without an endpoint are not scraped. */
export interface ScrapeTarget {
  readonly name: string;
  /**
   * http(s) URL of the engine's metrics, e.g. `http://vllm-l4:8000/metrics`. Credentials in it
   * (`http://user:pass@host/metrics`) are sent as HTTP basic authorization and never logged.
   */
  readonly metricsEndpoint: string | undefined;
}

export type ScraperLogFields = Record<string, string | number | boolean | undefined>;

/** The slice of the router's Logger the scraper uses. */
export interface ScraperLogger {
  warn(message: string, fields?: ScraperLogFields): void;
  info?(message: string, fields?: ScraperLogFields): void;
}

/** Runs `task` once after `delayMs`; the default is an unref'd setTimeout. Tests inject one they trigger. */
export type ScrapeScheduler = (task: () => void, delayMs: number) => { cancel(): void };

export interface PoolMetricsScraperOptions {
  /** Pause between the end of one scrape round and the start of the next, in ms. */
  readonly intervalMs?: number;
  /** Budget of one scrape (connect, headers and body), in ms. */
  readonly timeoutMs?: number;
  /** Age beyond which scraped load is stale and ignored by pool choice; must exceed intervalMs. */
  readonly staleAfterMs?: number;
  /** Largest metrics body read; a larger one fails the scrape rather than being read in part. */
  readonly maxBodyBytes?: number;
  /** Redirects followed, to the same host only (http → https allowed, never the reverse). */
  readonly maxRedirects?: number;
  readonly logger?: ScraperLogger;
  readonly schedule?: ScrapeScheduler;
}

/**
 * Defaults: a 5 s interval is what Prometheus itself commonly uses for serving engines and keeps a 1000-pool fleet
 * under a few hundred requests a second; 1 s timeout because a metrics endpoint slower than that is itself a sign
 * of an overloaded server; 15 s staleness = three missed rounds; 2 MiB bodies hold vLLM's histograms for dozens of
 * LoRA adapters or engines (a typical body is 50–300 KiB); the body is parsed chunk by chunk as it arrives, so even
 * a capped body never holds the event loop for more than a network chunk's worth of parsing.
 */
export const SCRAPER_DEFAULTS = {
  intervalMs: 5_000,
  timeoutMs: 1_000,
  staleAfterMs: 15_000,
  maxBodyBytes: 2 * 1024 * 1024,
  maxRedirects: 3,
} as const;

/** Per-pool scrape health, for metrics and the admin API. */
export interface ScrapeStatus {
  readonly pool: string;
  /** The endpoint without credentials, query or fragment. */
  readonly endpoint: string;
  /** Whether the last scrape succeeded (false before the first one). */
  readonly up: boolean;
  /** Failed scrapes since the process started (a counter). */
  readonly failures: number;
  /** Registry-clock time of the last successful scrape. */
  readonly lastSuccessAt: number | undefined;
}

/** Why a metrics endpoint cannot be scraped, or undefined when it can (for policy validation). */
export function metricsEndpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an absolute http(s) URL, e.g. http://vllm:8000/metrics';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  return undefined;
}

class ScrapeFailure extends Error {}

interface Target {
  readonly name: string;
  /** Without credentials. */
  readonly url: URL;
  readonly endpoint: string;
  readonly authorization: string | undefined;
  up: boolean;
  /** Whether the current outage was already logged. */
  reported: boolean;
  lastSuccessAt: number | undefined;
  running: Promise<void> | undefined;
}

function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** `Authorization` header for credentials in the URL (`user:pass@`), which fetch refuses to send itself. */
function basicAuthorization(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return `Basic ${Buffer.from(`${decode(url.username)}:${decode(url.password)}`).toString('base64')}`;
}

function defaultSchedule(task: () => void, delayMs: number): { cancel(): void } {
  const timer = setTimeout(task, delayMs);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}

function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof ScrapeFailure) return error.message;
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (error instanceof Error) {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    if (typeof cause?.code === 'string') return cause.code;
    if (typeof cause?.message === 'string') return cause.message;
    return error.message;
  }
  return String(error);
}

/**
 * Scrapes every target's metrics endpoint on an interval and writes the parsed load into the registry. Scrapes run
 * in the background with a timeout; a failure is counted per pool and logged once per outage (and its recovery at
 * info), never thrown. The registry hides data older than `staleAfterMs`, so a dead endpoint's last figures age out.
 */
export class PoolMetricsScraper {
  readonly #registry: PoolStateRegistry;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #staleAfterMs: number;
  readonly #maxBodyBytes: number;
  readonly #maxRedirects: number;
  readonly #logger: ScraperLogger | undefined;
  readonly #schedule: ScrapeScheduler;
  readonly #abort = new AbortController();
  #targets = new Map<string, Target>();
  /** Failed scrapes per pool, kept across target changes so that the counters never go backwards. */
  readonly #failures = new Map<string, number>();
  #timer: { cancel(): void } | undefined;
  #started = false;
  #closed = false;

  constructor(
    registry: PoolStateRegistry,
    targets: Iterable<ScrapeTarget>,
    options: PoolMetricsScraperOptions = {},
  ) {
    this.#registry = registry;
    this.#intervalMs = options.intervalMs ?? SCRAPER_DEFAULTS.intervalMs;
    this.#timeoutMs = options.timeoutMs ?? SCRAPER_DEFAULTS.timeoutMs;
    this.#staleAfterMs = options.staleAfterMs ?? SCRAPER_DEFAULTS.staleAfterMs;
    this.#maxBodyBytes = options.maxBodyBytes ?? SCRAPER_DEFAULTS.maxBodyBytes;
    this.#maxRedirects = options.maxRedirects ?? SCRAPER_DEFAULTS.maxRedirects;
    this.#logger = options.logger;
    this.#schedule = options.schedule ?? defaultSchedule;
    if (!(this.#intervalMs > 0 && this.#timeoutMs > 0 && this.#maxBodyBytes > 0)) {
      throw new RangeError('intervalMs, timeoutMs and maxBodyBytes must be > 0');
    }
    if (!(this.#staleAfterMs > this.#intervalMs)) {
      throw new RangeError(
        'staleAfterMs must exceed intervalMs, or every scrape would be stale before the next',
      );
    }
    this.setTargets(targets);
  }

  /**
   * Replaces the targets (after a policy reload). A pool whose endpoint is unchanged keeps its health; a pool no
   * longer scraped has its scraped load cleared. Invalid endpoints are logged and skipped.
   */
  setTargets(targets: Iterable<ScrapeTarget>): void {
    const next = new Map<string, Target>();
    for (const { name, metricsEndpoint } of targets) {
      if (metricsEndpoint === undefined || next.has(name)) continue;
      const problem = metricsEndpointProblem(metricsEndpoint);
      if (problem !== undefined) {
        this.#logger?.warn('pool metrics endpoint ignored', { pool: name, reason: problem });
        continue;
      }
      const url = new URL(metricsEndpoint);
      const authorization = basicAuthorization(url);
      url.username = '';
      url.password = '';
      const previous = this.#targets.get(name);
      if (
        previous !== undefined &&
        previous.url.href === url.href &&
        previous.authorization === authorization
      ) {
        next.set(name, previous);
        continue;
      }
      const target: Target = {
        name,
        url,
        endpoint: redact(url),
        authorization,
        up: false,
        reported: false,
        lastSuccessAt: undefined,
        running: undefined,
      };
      next.set(name, target);
    }
    for (const [name, target] of this.#targets) {
      // Gone, or now another server: the old server's figures say nothing about the pool any more.
      if (next.get(name) !== target) this.#registry.clearScraped(name);
    }
    this.#targets = next;
  }

  /** Starts scraping: one round now, then one every intervalMs after the previous round ends. Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#round();
  }

  /** Scrapes every target once (joining scrapes already under way); resolves when all are done, never rejects. */
  async scrapeOnce(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#targets.values()].map((target) => this.#scrapeTarget(target)));
  }

  /** Failed scrapes of `pool` since the process started. */
  scrapeFailures(pool: string): number {
    return this.#failures.get(pool) ?? 0;
  }

  status(): ScrapeStatus[] {
    return [...this.#targets.values()].map((t) => ({
      pool: t.name,
      endpoint: t.endpoint,
      up: t.up,
      failures: this.scrapeFailures(t.name),
      lastSuccessAt: t.lastSuccessAt,
    }));
  }

  /** Stops the timer and aborts scrapes in flight; resolves once they have settled. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#abort.abort();
    }
    await Promise.all([...this.#targets.values()].map((t) => t.running));
  }

  #round(): void {
    void this.scrapeOnce().finally(() => {
      if (!this.#closed) this.#timer = this.#schedule(() => this.#round(), this.#intervalMs);
    });
  }

  #scrapeTarget(target: Target): Promise<void> {
    target.running ??= this.#scrape(target).finally(() => {
      target.running = undefined;
    });
    return target.running;
  }

  async #scrape(target: Target): Promise<void> {
    try {
      const load = await this.#fetch(target.url, target.authorization);
      if (!hasLoad(load)) throw new ScrapeFailure('no known vLLM, SGLang or TGI load metric in the body');
      if (this.#closed || this.#targets.get(target.name) !== target) return;
      const now = this.#registry.now();
      this.#registry.setScraped(target.name, load, now, this.#staleAfterMs);
      target.lastSuccessAt = now;
      if (target.reported) {
        this.#logger?.info?.('pool metrics scrape recovered', {
          pool: target.name,
          endpoint: target.endpoint,
        });
      }
      target.up = true;
      target.reported = false;
    } catch (error) {
      if (this.#closed || this.#targets.get(target.name) !== target) return;
      target.up = false;
      this.#failures.set(target.name, (this.#failures.get(target.name) ?? 0) + 1);
      if (!target.reported) {
        target.reported = true;
        this.#logger?.warn('pool metrics scrape failed; its load figures will go stale', {
          pool: target.name,
          endpoint: target.endpoint,
          reason: reasonOf(error, this.#timeoutMs),
        });
      }
    }
  }

  async #fetch(start: URL, authorization: string | undefined): Promise<ScrapedLoad> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeoutMs)]);
    let url = start;
    for (let hop = 0; ; hop++) {
      const response = await fetch(url, {
        signal,
        redirect: 'manual',
        headers: {
          accept: 'text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5, */*;q=0.1',
          ...(authorization === undefined ? {} : { authorization }),
        },
      });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        if (hop >= this.#maxRedirects) throw new ScrapeFailure(`more than ${this.#maxRedirects} redirects`);
        url = this.#redirectTarget(url, location);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ScrapeFailure(`HTTP ${response.status}`);
      }
      return this.#readBody(response);
    }
  }

  /** Only same-host redirects are followed: a metrics endpoint must not steer the router to other hosts. */
  #redirectTarget(from: URL, location: string): URL {
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      throw new ScrapeFailure('redirect to an invalid URL');
    }
    if (to.hostname !== from.hostname) throw new ScrapeFailure(`redirect to another host (${to.hostname})`);
    const downgrade = from.protocol === 'https:' && to.protocol !== 'https:';
    if ((to.protocol !== 'http:' && to.protocol !== 'https:') || downgrade) {
      throw new ScrapeFailure(`redirect to ${to.protocol} refused`);
    }
    return to;
  }

  /** Parses the body as it streams in, failing once it passes the byte cap. */
  async #readBody(response: Response): Promise<ScrapedLoad> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.#maxBodyBytes) {
      await response.body?.cancel();
      throw new ScrapeFailure(`body of ${declared} bytes exceeds the ${this.#maxBodyBytes}-byte cap`);
    }
    const parser = new ServerMetricsParser();
    if (response.body === null) return parser.result();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > this.#maxBodyBytes) {
        await reader.cancel();
        throw new ScrapeFailure(`body exceeds the ${this.#maxBodyBytes}-byte cap`);
      }
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    return parser.result();
  }
}
