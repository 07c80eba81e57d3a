// The process's one SharedStore: it follows the policy's `state_store` section (switching backend on reload) and,
// while Redis is away, serves every call from an in-process store so routing goes on. An outage is logged once when
// it starts and once when it ends, never per request; figures for the metrics are kept here.
import type { Logger } from '../telemetry/logger.ts';
import { RedisStore } from './redis-store.ts';
import { RespUnavailableError, type RespValue } from './resp-client.ts';
import { MemoryStore, type SharedStore } from './shared-store.ts';
import type { StateStoreSettings } from './state-config.ts';

/** What the store metrics read. */
export interface StoreStatus {
  readonly backend: 'memory' | 'redis';
  /** 1: the configured backend answers; 0: Redis is away and in-memory state serves. */
  readonly up: boolean;
  /** Store calls that failed (timeouts, lost connections, error replies) since start. */
  readonly errors: number;
}

export interface StoreHolderOptions {
  readonly logger: Logger;
  /** Builds the Redis store (tests inject one); default RedisStore. */
  readonly createRedis?: (
    settings: StateStoreSettings,
    onStateChange: (up: boolean, cause?: Error) => void,
  ) => RedisStore;
}

/** Both stores the holder switches between implement the optional list and prefix methods. */
function requireMethod<F>(method: F | undefined): F {
  if (!method) throw new TypeError('state store method missing');
  return method;
}

function settingsKey(settings: StateStoreSettings): string {
  return JSON.stringify(settings);
}

export class StoreHolder implements SharedStore {
  /** Serves the memory backend, and the redis backend during an outage; kept across reloads. */
  readonly #memory = new MemoryStore();
  #redis: RedisStore | undefined;
  #key = settingsKey({ backend: 'memory', timeoutMs: 0, recordTtlMs: 0, redis: undefined });
  #recordTtlMs = 86_400_000;
  #outage = false;
  #errors = 0;
  readonly #logger: Logger;
  readonly #createRedis: NonNullable<StoreHolderOptions['createRedis']>;

  constructor(options: StoreHolderOptions) {
    this.#logger = options.logger;
    this.#createRedis =
      options.createRedis ??
      ((settings, onStateChange) =>
        new RedisStore({
          ...(settings.redis as NonNullable<StateStoreSettings['redis']>),
          timeoutMs: settings.timeoutMs,
          onStateChange,
        }));
  }

  get kind(): 'memory' | 'redis' {
    return this.#redis ? 'redis' : 'memory';
  }

  get healthy(): boolean {
    return this.#redis ? this.#redis.healthy : true;
  }

  /** How long per-request records for explicit feedback are kept (policy `state_store.ttl_seconds`). */
  get recordTtlMs(): number {
    return this.#recordTtlMs;
  }

  status(): StoreStatus {
    return { backend: this.kind, up: this.healthy, errors: this.#errors };
  }

  /** Follows the policy's settings; a change of backend or address opens a new client and closes the old one. */
  apply(settings: StateStoreSettings): void {
    this.#recordTtlMs = settings.recordTtlMs;
    const key = settingsKey(settings);
    if (key === this.#key) return;
    this.#key = key;
    const previous = this.#redis;
    this.#redis = undefined;
    this.#outage = false;
    if (settings.backend === 'redis' && settings.redis) {
      const redis = this.#createRedis(settings, (up, cause) => {
        if (this.#redis === redis) this.#onRedisState(up, cause);
      });
      this.#redis = redis;
      const { host, port, keyPrefix } = settings.redis;
      this.#logger.info('state store: redis', { address: `${host}:${port}`, key_prefix: keyPrefix });
      redis.ready().catch((error: unknown) => {
        if (this.#redis === redis) this.#markOutage(error);
      });
    } else {
      this.#logger.info('state store: memory');
    }
    previous?.close().catch(() => undefined);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#run((store) => store.get(key));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    return this.#run((store) => store.set(key, value, ttlMs));
  }

  async incrementFields(key: string, deltas: Readonly<Record<string, number>>): Promise<void> {
    return this.#run((store) => store.incrementFields(key, deltas));
  }

  async readFields(key: string): Promise<Record<string, number>> {
    return this.#run((store) => store.readFields(key));
  }

  async appendCapped(key: string, value: string, maxLength: number, ttlMs?: number): Promise<void> {
    return this.#run((store) => requireMethod(store.appendCapped).call(store, key, value, maxLength, ttlMs));
  }

  async readList(key: string): Promise<string[]> {
    return this.#run((store) => requireMethod(store.readList).call(store, key));
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    return this.#run((store) => requireMethod(store.deleteByPrefix).call(store, prefix));
  }

  /** On Redis only, and only while it answers: callers with local state of their own serve from it otherwise. */
  async evalScript(
    script: string,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<RespValue> {
    const redis = this.#redis;
    if (!redis?.healthy) throw new RespUnavailableError('the state store has no Redis answering');
    try {
      return await redis.evalScript(script, keys, args);
    } catch (error) {
      if (error instanceof RespUnavailableError) {
        this.#errors++;
        this.#markOutage(error);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const redis = this.#redis;
    this.#redis = undefined;
    await redis?.close();
    await this.#memory.close();
  }

  async #run<T>(operation: (store: SharedStore) => Promise<T>): Promise<T> {
    const redis = this.#redis;
    if (!redis?.healthy) return operation(this.#memory);
    try {
      return await operation(redis);
    } catch (error) {
      this.#errors++;
      this.#markOutage(error);
      return operation(this.#memory);
    }
  }

  #onRedisState(up: boolean, cause?: Error): void {
    if (up) {
      if (this.#outage) this.#logger.info('state store: redis is back; shared state again');
      this.#outage = false;
    } else {
      this.#markOutage(cause);
    }
  }

  #markOutage(cause: unknown): void {
    if (this.#outage) return;
    this.#outage = true;
    this.#logger.warn('state store: redis unavailable, serving with in-memory state until it is back', {
      error: cause instanceof Error ? cause.message : String(cause),
    });
  }
}
