// Policy `rate_limits`: per-key request, token and concurrency limits, parsed at policy load.
import { z } from 'zod';
import { sheddingSchema } from './shedding-schema.ts';

/** Where a limit's key comes from: a configurable header, or the trusted caller identity (policy `identity`). */
export const RATE_LIMIT_KEY_SOURCES = ['tenant', 'user', 'api_key', 'identity'] as const;
export type RateLimitKeySource = (typeof RATE_LIMIT_KEY_SOURCES)[number];

const headerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name')
  .transform((name) => name.toLowerCase());

const scopeListSchema = z.array(z.string().min(1)).min(1, 'list at least one name, or omit the field');

export const rateLimitSchema = z
  .strictObject({
    /** Stable name: metric label, trace attribute and the 429 message name it. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'must use letters, digits, _ . - only (it is a metric label)'),
    key: z.enum(RATE_LIMIT_KEY_SOURCES, {
      message: `key must be one of ${RATE_LIMIT_KEY_SOURCES.join(', ')}`,
    }),
    /** Only requests routed to one of these models / pools / decisions count (checked after routing). */
    models: scopeListSchema.optional(),
    pools: scopeListSchema.optional(),
    decisions: scopeListSchema.optional(),
    requests_per_window: z.number().int().positive().optional(),
    /** Prompt tokens estimated up front, corrected to the answer's usage (prompt + completion) when it ends. */
    tokens_per_window: z.number().int().positive().optional(),
    window_seconds: z.number().positive().max(86_400).optional(),
    /** Requests of one key in flight at once (released when the answer or the stream ends). */
    max_concurrent: z.number().int().positive().optional(),
    /** A request without the key: counted under one shared `anonymous` key, or not limited. */
    missing_key: z.enum(['anonymous', 'skip']).default('anonymous'),
  })
  .superRefine((limit, ctx) => {
    const windowed = limit.requests_per_window !== undefined || limit.tokens_per_window !== undefined;
    if (!windowed && limit.max_concurrent === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'a limit needs requests_per_window, tokens_per_window or max_concurrent',
      });
    if (windowed && limit.window_seconds === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['window_seconds'],
        message: 'requests_per_window and tokens_per_window need window_seconds',
      });
  });

export const rateLimitsSchema = z
  .strictObject({
    /** Header naming the tenant (set by Envoy or the gateway in front; clients can set it otherwise). */
    tenant_header: headerNameSchema.default('x-tenant-id'),
    user_header: headerNameSchema.default('x-user-id'),
    /** Header carrying the API key (`Bearer` prefix stripped); only its SHA-256 digest is kept. */
    api_key_header: headerNameSchema.default('authorization'),
    /** Put the keys (api key as its digest) into Envoy dynamic metadata for a global rate-limit service. */
    envoy_metadata: z.boolean().default(true),
    /**
     * `local`: each replica counts alone. `shared`: the replicas count together in the state store's Redis
     * (`state_store.backend: redis`), each falling back to its local counters while Redis is away.
     */
    counters: z.enum(['local', 'shared'], { message: 'counters must be local or shared' }).default('local'),
    limits: z.array(rateLimitSchema).default([]),
    /** While a pool is saturated, requests of low-priority decisions are shed first (503, `Retry-After`). */
    shedding: sheddingSchema.optional(),
  })
  .refine(
    (section) => new Set(section.limits.map((l) => l.name)).size === section.limits.length,
    'rate limit names must differ',
  );

export type RateLimitsDocument = z.infer<typeof rateLimitsSchema>;
export type RateLimitDocument = z.infer<typeof rateLimitSchema>;
