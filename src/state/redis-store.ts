// The SharedStore on Redis: replicas using the same Redis and key prefix share every key. Every call is bounded by
// the client's command timeout and rejects when Redis is away; FallbackStore (fallback-store.ts) turns that into
// in-memory service.
import { createHash } from 'node:crypto';
import { RespClient, RespReplyError, type RespValue } from './resp-client.ts';
import type { SharedStore } from './shared-store.ts';
import type { RedisSettings } from './state-config.ts';

export interface RedisStoreOptions extends RedisSettings {
  readonly timeoutMs: number;
  readonly onStateChange?: (up: boolean, cause?: Error) => void;
}

function toFields(reply: RespValue): Record<string, number> {
  const fields: Record<string, number> = {};
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const value = Number(reply[i + 1]);
    if (Number.isFinite(value)) fields[String(reply[i])] = value;
  }
  return fields;
}

/** `text` as a literal in a Redis glob pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export class RedisStore implements SharedStore {
  readonly kind = 'redis';
  readonly #client: RespClient;
  readonly #prefix: string;
  readonly #scriptShas = new Map<string, string>();

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix;
    this.#client = new RespClient({
      host: options.host,
      port: options.port,
      username: options.username,
      password: options.password,
      database: options.database,
      commandTimeoutMs: options.timeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      ...(options.onStateChange && { onStateChange: options.onStateChange }),
    });
  }

  get healthy(): boolean {
    return this.#client.up;
  }

  /** Resolves once connected; rejects when the first attempt fails (reconnection goes on). */
  ready(): Promise<void> {
    return this.#client.ready();
  }

  async get(key: string): Promise<string | undefined> {
    const reply = await this.#client.command(['GET', this.#prefix + key]);
    return typeof reply === 'string' ? reply : undefined;
  }

  async set(key: string, value: string, ttlMs = 0): Promise<void> {
    const args: (string | number)[] = ['SET', this.#prefix + key, value];
    if (ttlMs > 0) args.push('PX', Math.ceil(ttlMs));
    await this.#client.command(args);
  }

  async incrementFields(key: string, deltas: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(deltas).filter(([, delta]) => Number.isFinite(delta) && delta !== 0);
    if (entries.length === 0) return;
    const full = this.#prefix + key;
    // MULTI/EXEC: the fields of one update land together, so a replica never reads half an update.
    await this.#client.pipeline([
      ['MULTI'],
      ...entries.map(([field, delta]) => ['HINCRBYFLOAT', full, field, delta]),
      ['EXEC'],
    ]);
  }

  async readFields(key: string): Promise<Record<string, number>> {
    return toFields(await this.#client.command(['HGETALL', this.#prefix + key]));
  }

  /** EVALSHA (the script's body is sent only when Redis does not have it yet: NOSCRIPT, e.g. after a restart). */
  async evalScript(
    script: string,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<RespValue> {
    let sha = this.#scriptShas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      this.#scriptShas.set(script, sha);
    }
    const rest = [keys.length, ...keys.map((key) => this.#prefix + key), ...args];
    try {
      return await this.#client.command(['EVALSHA', sha, ...rest]);
    } catch (error) {
      if (!(error instanceof RespReplyError && error.message.startsWith('NOSCRIPT'))) throw error;
      return this.#client.command(['EVAL', script, ...rest]);
    }
  }

  async appendCapped(key: string, value: string, maxLength: number, ttlMs = 0): Promise<void> {
    const full = this.#prefix + key;
    await this.#client.pipeline([
      ['MULTI'],
      ['RPUSH', full, value],
      ['LTRIM', full, -maxLength, -1],
      ...(ttlMs > 0 ? [['PEXPIRE', full, Math.ceil(ttlMs)]] : []),
      ['EXEC'],
    ]);
  }

  async readList(key: string): Promise<string[]> {
    const reply = await this.#client.command(['LRANGE', this.#prefix + key, 0, -1]);
    return Array.isArray(reply) ? reply.filter((item): item is string => typeof item === 'string') : [];
  }

  /** SCAN by pattern and UNLINK in batches: an admin operation, walking the whole keyspace once. */
  async deleteByPrefix(prefix: string): Promise<number> {
    const pattern = `${globEscape(this.#prefix + prefix)}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const reply = await this.#client.command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000]);
      if (!Array.isArray(reply) || reply.length !== 2) break;
      cursor = String(reply[0]);
      const keys = Array.isArray(reply[1]) ? reply[1].map(String) : [];
      if (keys.length > 0) deleted += Number(await this.#client.command(['UNLINK', ...keys])) || 0;
    } while (cursor !== '0');
    return deleted;
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
