// Rate-limit counters shared by the replicas through the state store's Redis: each admission is one Lua script that
// checks and charges every limit of the request atomically on Redis's own clock (sliding logs as sorted sets, token
// amounts in a hash, concurrency slots as leases), so replicas together never overshoot a limit.
import { randomBytes } from 'node:crypto';
import type { RateLimitReason } from '../errors.ts';
import type { SharedStore } from '../state/shared-store.ts';

/** One limit of a request as the script sees it: its budgets (undefined: none) and the counted key. */
export interface SharedLimitEntry {
  readonly limitName: string;
  readonly key: string;
  readonly windowMs: number;
  readonly requestsPerWindow: number | undefined;
  readonly tokensPerWindow: number | undefined;
  readonly maxConcurrent: number | undefined;
}

/**
 * A concurrency slot is a lease: a replica that dies holding one frees it when the lease ends. Longer than any
 * answer a model streams.
 */
const SLOT_LEASE_MS = 15 * 60 * 1000;

const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, id, tokens, lease = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local refusedAt, reason, wait = 0, '', -1
for i = 0, n - 1 do
  local a = 4 + i * 4
  local window, rl, tl, cl = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local rk, tk, th, ck = KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 3], KEYS[i * 4 + 4]
  local cutoff = now - window
  local w, why = -1, ''
  if cl >= 0 then
    redis.call('ZREMRANGEBYSCORE', ck, '-inf', now)
    if redis.call('ZCARD', ck) >= cl then w, why = 1000, 'concurrency' end
  end
  if w < 0 and rl >= 0 then
    redis.call('ZREMRANGEBYSCORE', rk, '-inf', cutoff)
    local count = redis.call('ZCARD', rk)
    if count > 0 and count + 1 > rl then
      local e = redis.call('ZRANGE', rk, count - rl, count - rl, 'WITHSCORES')
      w, why = math.max(0, tonumber(e[2]) + window - now), 'requests'
    end
  end
  if w < 0 and tl >= 0 then
    local old = redis.call('ZRANGEBYSCORE', tk, '-inf', cutoff)
    for _, m in ipairs(old) do redis.call('HDEL', th, m) end
    redis.call('ZREMRANGEBYSCORE', tk, '-inf', cutoff)
    local entries = redis.call('ZRANGE', tk, 0, -1, 'WITHSCORES')
    local amounts, total = {}, 0
    for j = 1, #entries, 2 do
      local amount = tonumber(redis.call('HGET', th, entries[j]) or '0')
      amounts[#amounts + 1] = amount
      total = total + amount
    end
    if total > 0 and total + tokens > tl then
      w, why = 0, 'tokens'
      local remaining = total
      for j = 1, #amounts do
        remaining = remaining - amounts[j]
        if remaining <= 0 or remaining + tokens <= tl then
          w = math.max(0, tonumber(entries[j * 2]) + window - now)
          break
        end
      end
    end
  end
  if w >= 0 and w > wait then refusedAt, reason, wait = i + 1, why, w end
end
if refusedAt > 0 then return {0, refusedAt, reason, math.floor(wait)} end
for i = 0, n - 1 do
  local a = 4 + i * 4
  local window, rl, tl, cl = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local rk, tk, th, ck = KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 3], KEYS[i * 4 + 4]
  if rl >= 0 then
    redis.call('ZADD', rk, now, id)
    redis.call('PEXPIRE', rk, window + 1000)
  end
  if tl >= 0 then
    redis.call('ZADD', tk, now, id)
    redis.call('HSET', th, id, tokens)
    redis.call('PEXPIRE', tk, window + 1000)
    redis.call('PEXPIRE', th, window + 1000)
  end
  if cl >= 0 then
    redis.call('ZADD', ck, now + lease, id)
    redis.call('PEXPIRE', ck, lease + 1000)
  end
end
return {1}
`;

/** KEYS: token sorted set and hash per limit. Corrects a charge still in its window. */
const SETTLE = `
for i = 1, #KEYS, 2 do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then redis.call('HSET', KEYS[i + 1], ARGV[1], ARGV[2]) end
end
return 1
`;

/** KEYS: any of the request's sorted sets and hashes. Removes the request from them. */
const REMOVE = `
for i = 1, #KEYS do
  if redis.call('TYPE', KEYS[i]).ok == 'hash' then redis.call('HDEL', KEYS[i], ARGV[1])
  else redis.call('ZREM', KEYS[i], ARGV[1]) end
end
return 1
`;

export type SharedAdmission =
  | {
      readonly admitted: true;
      readonly release: () => void;
      readonly settle: (tokens: number) => void;
      readonly refund: () => void;
    }
  | {
      readonly admitted: false;
      readonly index: number;
      readonly reason: RateLimitReason;
      readonly retryAfterMs: number;
    };

function keysOf(entry: SharedLimitEntry): [string, string, string, string] {
  const base = `rate-limit:${entry.limitName}:${entry.key}`;
  return [`${base}:requests`, `${base}:tokens`, `${base}:token-amounts`, `${base}:slots`];
}

const budget = (value: number | undefined) => (value === undefined ? -1 : value);

export class SharedRateLimitCounters {
  constructor(
    private readonly store: SharedStore,
    /** Told about a settle / release / refund that failed (the answer went on). */
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Redis is configured and answering: admissions go there. */
  get available(): boolean {
    return this.store.kind === 'redis' && this.store.healthy && this.store.evalScript !== undefined;
  }

  /** Rejects when Redis does not answer (the caller admits against local counters instead). */
  async admit(entries: readonly SharedLimitEntry[], tokens: number): Promise<SharedAdmission> {
    const evalScript = this.store.evalScript?.bind(this.store);
    if (!evalScript) throw new Error('the state store runs no scripts');
    const id = randomBytes(9).toString('base64url');
    const keys = entries.flatMap(keysOf);
    const args: (string | number)[] = [entries.length, id, tokens, SLOT_LEASE_MS];
    for (const e of entries)
      args.push(e.windowMs, budget(e.requestsPerWindow), budget(e.tokensPerWindow), budget(e.maxConcurrent));
    const reply = await evalScript(ADMIT, keys, args);
    if (!Array.isArray(reply)) throw new Error('unexpected reply from the rate-limit script');
    if (reply[0] !== 1)
      return {
        admitted: false,
        index: Number(reply[1]) - 1,
        reason: String(reply[2]) as RateLimitReason,
        retryAfterMs: Number(reply[3]),
      };
    const run = (script: string, scriptKeys: string[], scriptArgs: (string | number)[]) => {
      if (scriptKeys.length === 0) return;
      void evalScript(script, scriptKeys, scriptArgs).catch((error: unknown) => this.onError(error));
    };
    const tokenKeys = entries
      .filter((e) => e.tokensPerWindow !== undefined)
      .flatMap((e) => keysOf(e).slice(1, 3));
    const slotKeys = entries.filter((e) => e.maxConcurrent !== undefined).map((e) => keysOf(e)[3]);
    const windowKeys = entries.flatMap((e) => [
      ...(e.requestsPerWindow === undefined ? [] : [keysOf(e)[0]]),
      ...(e.tokensPerWindow === undefined ? [] : keysOf(e).slice(1, 3)),
    ]);
    return {
      admitted: true,
      settle: (total) => run(SETTLE, tokenKeys, [id, total]),
      release: () => run(REMOVE, slotKeys, [id]),
      refund: () => run(REMOVE, windowKeys, [id]),
    };
  }
}
