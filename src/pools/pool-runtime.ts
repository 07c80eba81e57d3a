// The process's live view of its pools: one PoolStateRegistry shared by every policy generation, and the scraper of
// the pools' metrics endpoints, both reconfigured when a policy goes live.
import type { Policy } from '../policy/policy.ts';
import type { Logger } from '../telemetry/logger.ts';
import { PoolMetricsScraper, type ScrapeStatus } from './metrics-scraper.ts';
import { PoolStateRegistry, type PoolView } from './pool-state.ts';

/** What `GET /pools` on the admin port answers: each pool's live state and its scrape health. */
export interface PoolsView {
  readonly pools: readonly (PoolView & { readonly scrape?: ScrapeStatus })[];
}

export class PoolRuntime {
  readonly state = new PoolStateRegistry();
  #scraper: PoolMetricsScraper | undefined;
  #scrapeKey = '';
  #closed = false;

  constructor(private readonly logger: Logger) {}

  /** A policy went live: its breaker settings, its pools, and their metrics endpoints. */
  apply(policy: Policy): void {
    if (this.#closed) return;
    this.state.configure(policy.breaker);
    const names = policy.pools.map((pool) => pool.name);
    this.state.track(names);
    this.state.retain(names);
    const targets = policy.pools.map((pool) => ({ name: pool.name, metricsEndpoint: pool.metricsEndpoint }));
    const key = JSON.stringify(policy.scrape);
    if (this.#scraper && key === this.#scrapeKey) {
      this.#scraper.setTargets(targets);
      return;
    }
    void this.#scraper?.close();
    this.#scrapeKey = key;
    this.#scraper = new PoolMetricsScraper(this.state, targets, {
      ...policy.scrape,
      logger: {
        warn: (message, fields) => this.logger.warn(message, { ...fields }),
        info: (message, fields) => this.logger.info(message, { ...fields }),
      },
    });
    this.#scraper.start();
  }

  view(): PoolsView {
    const scrapes = new Map((this.#scraper?.status() ?? []).map((status) => [status.pool, status]));
    return {
      pools: this.state.views().map((view) => {
        const scrape = scrapes.get(view.name);
        return scrape ? { ...view, scrape } : view;
      }),
    };
  }

  /** Scrape failures of a pool since the process started (metrics). */
  scrapeFailures(pool: string): number {
    return this.#scraper?.scrapeFailures(pool) ?? 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#scraper?.close();
  }
}
