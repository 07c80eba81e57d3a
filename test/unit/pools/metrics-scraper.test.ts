// The metrics scraper against real loopback HTTP servers: healthy, slow, dead, stale, redirected and oversized.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  metricsEndpointProblem,
  PoolMetricsScraper,
  type PoolMetricsScraperOptions,
  type ScraperLogFields,
  type ScrapeScheduler,
  type ScrapeTarget,
} from '../../../src/pools/metrics-scraper.ts';
import { PoolStateRegistry } from '../../../src/pools/pool-state.ts';
import { SGLANG, TGI, VLLM_V1 } from './fixtures/engine-metrics.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  readonly base: string;
  readonly port: number;
  /** Requests received, by path. */
  readonly hits: Map<string, number>;
  /** Resolves when the server has received `n` requests in all. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const scrapers: PoolMetricsScraper[] = [];

afterEach(async () => {
  await Promise.all(scrapers.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<TestServer> {
  const hits = new Map<string, number>();
  let total = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    total++;
    for (const w of waiters.filter((w) => total >= w.n)) w.resolve();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    base: `http://127.0.0.1:${port}`,
    port,
    hits,
    received: (n) =>
      total >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

const body =
  (text: string, status = 200): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
  };

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function recordingLogger() {
  const warnings: { message: string; fields: ScraperLogFields | undefined }[] = [];
  const infos: { message: string; fields: ScraperLogFields | undefined }[] = [];
  return {
    warnings,
    infos,
    warn: (message: string, fields?: ScraperLogFields) => warnings.push({ message, fields }),
    info: (message: string, fields?: ScraperLogFields) => infos.push({ message, fields }),
  };
}

function setup(targets: ScrapeTarget[], options: PoolMetricsScraperOptions = {}) {
  let now = 5_000_000;
  const registry = new PoolStateRegistry({ now: () => now });
  const logger = recordingLogger();
  const scraper = new PoolMetricsScraper(registry, targets, { logger, ...options });
  scrapers.push(scraper);
  return {
    registry,
    logger,
    scraper,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('PoolMetricsScraper', () => {
  it('writes a healthy endpoint’s load into the registry', async () => {
    const server = await serve(body(VLLM_V1));
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }]);
    await t.scraper.scrapeOnce();
    expect(t.registry.view('l4').scraped).toEqual({
      waiting: 3,
      running: 21,
      kvCacheUsage: 0.8125,
      ageMs: 0,
    });
    expect(t.scraper.status()).toEqual([
      { pool: 'l4', endpoint: `${server.base}/metrics`, up: true, failures: 0, lastSuccessAt: 5_000_000 },
    ]);
    expect(t.logger.warnings).toEqual([]);
  });

  it('scrapes several engines at once and skips pools without an endpoint', async () => {
    const sglang = await serve(body(SGLANG));
    const tgi = await serve(body(TGI));
    const t = setup([
      { name: 'a100', metricsEndpoint: `${sglang.base}/metrics` },
      { name: 'l4', metricsEndpoint: undefined },
      { name: 'h100', metricsEndpoint: `${tgi.base}/metrics` },
    ]);
    await t.scraper.scrapeOnce();
    expect(t.registry.view('a100').scraped).toMatchObject({ waiting: 2826, running: 7, kvCacheUsage: 0.28 });
    expect(t.registry.view('h100').scraped).toMatchObject({ waiting: 4, running: 16 });
    expect(t.registry.view('l4').scraped).toBeUndefined();
    expect(t.scraper.status().map((s) => s.pool)).toEqual(['a100', 'h100']);
  });

  it('gives up on a slow endpoint at the timeout, counts it, logs it and keeps no data', async () => {
    const server = await serve(() => {
      // Never answers; the test's server close ends the connection.
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], { timeoutMs: 50 });
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(1);
    expect(t.registry.view('l4').scraped).toBeUndefined();
    expect(t.logger.warnings).toHaveLength(1);
    expect(t.logger.warnings[0]?.fields).toMatchObject({ pool: 'l4', reason: 'timed out after 50 ms' });
  });

  it('times out a body that trickles in too slowly', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('vllm:num_requests_waiting 1\n');
      // The rest never comes.
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], { timeoutMs: 50 });
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(1);
    expect(t.registry.view('l4').scraped).toBeUndefined();
  });

  it('counts every failed scrape of a dead port but logs the outage once, and never throws', async () => {
    const port = await deadPort();
    const t = setup([{ name: 'l4', metricsEndpoint: `http://127.0.0.1:${port}/metrics` }]);
    await t.scraper.scrapeOnce();
    await t.scraper.scrapeOnce();
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(3);
    expect(t.logger.warnings).toHaveLength(1);
    expect(t.logger.warnings[0]?.fields).toEqual({
      pool: 'l4',
      endpoint: `http://127.0.0.1:${port}/metrics`,
      reason: 'ECONNREFUSED',
    });
    expect(t.scraper.status()[0]).toMatchObject({ up: false, failures: 3, lastSuccessAt: undefined });
  });

  it('logs each outage once, and its recovery', async () => {
    let healthy = false;
    const server = await serve((req, res) => body(healthy ? VLLM_V1 : 'oops', healthy ? 200 : 500)(req, res));
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }]);
    await t.scraper.scrapeOnce();
    await t.scraper.scrapeOnce();
    healthy = true;
    await t.scraper.scrapeOnce();
    healthy = false;
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(3);
    expect(t.logger.warnings.map((w) => w.fields?.reason)).toEqual(['HTTP 500', 'HTTP 500']);
    expect(t.logger.infos.map((i) => i.message)).toEqual(['pool metrics scrape recovered']);
  });

  it('keeps the last data while fresh, then ignores it once stale', async () => {
    let healthy = true;
    const server = await serve((req, res) => body(healthy ? TGI : '', healthy ? 200 : 503)(req, res));
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], {
      intervalMs: 1_000,
      staleAfterMs: 3_000,
    });
    await t.scraper.scrapeOnce();
    healthy = false;
    t.advance(2_000);
    await t.scraper.scrapeOnce();
    expect(t.registry.view('l4').scraped).toEqual({ waiting: 4, running: 16, ageMs: 2_000 });
    t.advance(1_001);
    await t.scraper.scrapeOnce();
    expect(t.registry.view('l4').scraped).toBeUndefined();
  });

  it('counts a body without any known metric as a failure (wrong endpoint)', async () => {
    const server = await serve(body('# TYPE up gauge\nup 1\n'));
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }]);
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(1);
    expect(String(t.logger.warnings[0]?.fields?.reason)).toMatch(/no known/);
  });

  it.each([
    ['declared by content-length', true],
    ['streamed without a length', false],
  ])('refuses a body over the byte cap (%s)', async (_label, declared) => {
    const server = await serve((_req, res) => {
      if (declared) res.writeHead(200, { 'content-length': Buffer.byteLength(VLLM_V1) });
      else res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(VLLM_V1);
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], { maxBodyBytes: 1024 });
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(1);
    expect(String(t.logger.warnings[0]?.fields?.reason)).toMatch(/exceeds the 1024-byte cap/);
    expect(t.registry.view('l4').scraped).toBeUndefined();
  });

  it('follows a redirect on the same host', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/metrics' });
        res.end();
      } else body(TGI)(req, res);
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/old` }]);
    await t.scraper.scrapeOnce();
    expect(t.registry.view('l4').scraped).toMatchObject({ waiting: 4 });
  });

  it('refuses a redirect to another host, and never fetches it', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: `http://localhost:${server.port}/metrics` });
        res.end();
      } else body(TGI)(req, res);
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/old` }]);
    await t.scraper.scrapeOnce();
    expect(t.scraper.scrapeFailures('l4')).toBe(1);
    expect(String(t.logger.warnings[0]?.fields?.reason)).toMatch(/another host \(localhost\)/);
    expect(server.hits.get('/metrics')).toBeUndefined();
  });

  it('stops after maxRedirects', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: '/loop' });
      res.end();
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/loop` }], { maxRedirects: 2 });
    await t.scraper.scrapeOnce();
    expect(server.hits.get('/loop')).toBe(3);
    expect(String(t.logger.warnings[0]?.fields?.reason)).toMatch(/more than 2 redirects/);
  });

  it('sends credentials in the URL as basic authorization, and leaves them out of logs and status', async () => {
    const authorizations: (string | undefined)[] = [];
    const server = await serve((req, res) => {
      authorizations.push(req.headers.authorization);
      body('oops', 500)(req, res);
    });
    const t = setup([
      { name: 'l4', metricsEndpoint: `http://ops:hunter%402@127.0.0.1:${server.port}/metrics?token=abc` },
    ]);
    await t.scraper.scrapeOnce();
    expect(authorizations).toEqual([`Basic ${Buffer.from('ops:hunter@2').toString('base64')}`]);
    expect(server.hits.get('/metrics?token=abc')).toBe(1);
    const logged = JSON.stringify([t.logger.warnings, t.scraper.status()]);
    expect(logged).not.toMatch(/hunter|token=abc|ops/);
  });

  it('skips (and logs) endpoints that are not http(s) URLs', () => {
    const t = setup([
      { name: 'a', metricsEndpoint: 'ftp://vllm/metrics' },
      { name: 'b', metricsEndpoint: 'vllm:8000/metrics' },
      { name: 'c', metricsEndpoint: 'not a url' },
    ]);
    expect(t.scraper.status()).toEqual([]);
    expect(t.logger.warnings.map((w) => w.fields?.pool)).toEqual(['a', 'b', 'c']);
    expect(metricsEndpointProblem('https://vllm:8000/metrics')).toBeUndefined();
    expect(metricsEndpointProblem('ftp://vllm/metrics')).toBe('must use http or https');
  });

  it('rejects a staleness bound no longer than the interval', () => {
    const registry = new PoolStateRegistry();
    expect(() => new PoolMetricsScraper(registry, [], { intervalMs: 5_000, staleAfterMs: 5_000 })).toThrow(
      RangeError,
    );
  });

  it('on new targets, clears data of pools no longer scraped and keeps the health of unchanged ones', async () => {
    const server = await serve(body(TGI));
    const t = setup([
      { name: 'l4', metricsEndpoint: `${server.base}/metrics` },
      { name: 'h100', metricsEndpoint: `${server.base}/metrics` },
    ]);
    await t.scraper.scrapeOnce();
    t.scraper.setTargets([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }]);
    expect(t.registry.view('h100').scraped).toBeUndefined();
    expect(t.registry.view('l4').scraped).toBeDefined();
    expect(t.scraper.status()).toMatchObject([{ pool: 'l4', up: true }]);
    // Another server for the same pool: the old server's figures are dropped and its health starts afresh.
    t.scraper.setTargets([{ name: 'l4', metricsEndpoint: `${server.base}/other` }]);
    expect(t.registry.view('l4').scraped).toBeUndefined();
    expect(t.scraper.status()).toMatchObject([{ pool: 'l4', up: false }]);
  });
});

describe('PoolMetricsScraper lifecycle', () => {
  function manualScheduler() {
    const pending: { task: () => void; delayMs: number; cancelled: boolean }[] = [];
    let notify: (() => void) | undefined;
    const schedule: ScrapeScheduler = (task, delayMs) => {
      const entry = { task, delayMs, cancelled: false };
      pending.push(entry);
      notify?.();
      return {
        cancel: () => {
          entry.cancelled = true;
        },
      };
    };
    return {
      schedule,
      pending,
      /** Resolves once `n` tasks have been scheduled in all. */
      scheduled: (n: number) =>
        new Promise<void>((resolve) => {
          notify = () => {
            if (pending.length >= n) resolve();
          };
          notify();
        }),
    };
  }

  it('scrapes at start, then once per scheduled interval, in the background', async () => {
    const server = await serve(body(TGI));
    const clock = manualScheduler();
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], {
      intervalMs: 2_000,
      schedule: clock.schedule,
    });
    t.scraper.start();
    // start() returns before any scrape is done: nothing on the caller's path waits for the network.
    expect(t.registry.view('l4').scraped).toBeUndefined();
    await clock.scheduled(1);
    expect(clock.pending[0]?.delayMs).toBe(2_000);
    expect(server.hits.get('/metrics')).toBe(1);
    expect(t.registry.view('l4').scraped).toMatchObject({ waiting: 4 });
    clock.pending[0]?.task();
    await clock.scheduled(2);
    expect(server.hits.get('/metrics')).toBe(2);
    t.scraper.start();
    expect(clock.pending).toHaveLength(2);
  });

  it('close() cancels the next round, makes later scrapes no-ops and is idempotent', async () => {
    const server = await serve(body(TGI));
    const clock = manualScheduler();
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], {
      schedule: clock.schedule,
    });
    t.scraper.start();
    await clock.scheduled(1);
    await t.scraper.close();
    await t.scraper.close();
    expect(clock.pending[0]?.cancelled).toBe(true);
    await t.scraper.scrapeOnce();
    t.scraper.start();
    expect(server.hits.get('/metrics')).toBe(1);
    expect(clock.pending).toHaveLength(1);
  });

  it('close() aborts a scrape in flight without counting or logging a failure', async () => {
    const server = await serve(() => {
      // Hangs until aborted.
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], { timeoutMs: 60_000 });
    const scrape = t.scraper.scrapeOnce();
    await server.received(1);
    await t.scraper.close();
    await scrape;
    expect(t.scraper.scrapeFailures('l4')).toBe(0);
    expect(t.logger.warnings).toEqual([]);
  });

  it('joins a scrape already in flight instead of starting a second one', async () => {
    let release: (() => void) | undefined;
    const server = await serve((req, res) => {
      release = () => body(TGI)(req, res);
    });
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }]);
    const first = t.scraper.scrapeOnce();
    await server.received(1);
    const second = t.scraper.scrapeOnce();
    release?.();
    await Promise.all([first, second]);
    expect(server.hits.get('/metrics')).toBe(1);
  });

  it('runs on real timers with a short interval until closed', async () => {
    const server = await serve(body(VLLM_V1));
    const t = setup([{ name: 'l4', metricsEndpoint: `${server.base}/metrics` }], {
      intervalMs: 5,
      staleAfterMs: 60_000,
    });
    t.scraper.start();
    await server.received(3);
    await t.scraper.close();
    expect(t.registry.view('l4').scraped).toMatchObject({ running: 21 });
    expect(t.scraper.scrapeFailures('l4')).toBe(0);
  });
});
