// Policy section `state_store`: where the state replicas share lives (learning state, feedback records). Names follow
// the peer's `state_store` (backend, timeout_ms, ttl_seconds, redis.address / password / database / key_prefix).
import { z } from 'zod';

const addressSchema = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+)(:\d{1,5})?$/,
    'address is host:port, e.g. 127.0.0.1:6379 or redis:6379',
  );

export const redisSchema = z.strictObject({
  address: addressSchema,
  username: z.string().min(1).optional(),
  /** Inline password; prefer `password_env` so the secret stays out of the policy file. */
  password: z.string().optional(),
  /** Name of the environment variable holding the password. */
  password_env: z.string().min(1).optional(),
  database: z.number().int().min(0).max(15).default(0),
  /** Prefix of every key: replicas of one deployment share it, other deployments on the same Redis use another. */
  key_prefix: z.string().default('semantic-router:'),
  /** Seconds for TCP connect plus AUTH / SELECT (the peer's `dial_timeout`). */
  dial_timeout: z.number().positive().max(60).default(2),
});

export const stateStoreSchema = z
  .strictObject({
    backend: z.enum(['memory', 'redis'], { message: 'backend must be memory or redis' }).default('memory'),
    /** Per store command; past it the request goes on with in-memory state. */
    timeout_ms: z.number().int().min(1).max(10_000).default(50),
    /** How long a routed request's record is kept for explicit feedback naming its request id. */
    ttl_seconds: z.number().int().min(1).default(3600),
    redis: redisSchema.optional(),
  })
  .superRefine((value, context) => {
    if (value.backend === 'redis' && !value.redis)
      context.addIssue({ code: 'custom', path: ['redis'], message: 'backend redis needs redis.address' });
    if (value.redis?.password !== undefined && value.redis.password_env !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['redis', 'password'],
        message: 'give password or password_env, not both',
      });
  });

export type StateStoreDocument = z.infer<typeof stateStoreSchema>;
export const STATE_STORE_DEFAULTS: StateStoreDocument = stateStoreSchema.parse({});

export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly database: number;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
}

export interface StateStoreSettings {
  readonly backend: 'memory' | 'redis';
  readonly timeoutMs: number;
  /** Lifetime of the per-request records that explicit feedback looks up. */
  readonly recordTtlMs: number;
  readonly redis: RedisSettings | undefined;
}

export interface StateStoreProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
}

function splitAddress(address: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address);
  const host = (match?.[1] ?? address).replace(/^\[|\]$/g, '');
  return { host, port: match?.[2] ? Number(match[2]) : 6379 };
}

/** The section's settings; `env` resolves `password_env`. Problems carry a path inside `state_store`. */
export function compileStateStore(
  doc: StateStoreDocument,
  env: NodeJS.ProcessEnv = process.env,
): { settings: StateStoreSettings; problems: StateStoreProblem[] } {
  const problems: StateStoreProblem[] = [];
  let redis: RedisSettings | undefined;
  if (doc.backend === 'redis' && doc.redis) {
    const { host, port } = splitAddress(doc.redis.address);
    if (port < 1 || port > 65535)
      problems.push({ path: ['redis', 'address'], message: `port ${port} is out of range` });
    let password = doc.redis.password;
    if (doc.redis.password_env !== undefined) {
      password = env[doc.redis.password_env];
      if (password === undefined)
        problems.push({
          path: ['redis', 'password_env'],
          message: `environment variable ${doc.redis.password_env} is not set`,
          hint: 'set it in the router’s environment (e.g. from a Kubernetes Secret)',
        });
    }
    redis = {
      host,
      port,
      username: doc.redis.username,
      password,
      database: doc.redis.database,
      keyPrefix: doc.redis.key_prefix,
      connectTimeoutMs: doc.redis.dial_timeout * 1000,
    };
  }
  return {
    settings: {
      backend: doc.backend,
      timeoutMs: doc.timeout_ms,
      recordTtlMs: doc.ttl_seconds * 1000,
      redis,
    },
    problems,
  };
}
