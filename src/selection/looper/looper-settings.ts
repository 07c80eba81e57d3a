// Where looper algorithms send their model calls (policy `looper`, the peer's `global.integrations.looper`): the
// router's own Envoy listener, so each call is routed, load-balanced and observed like any other request.
import { z } from 'zod';

export const looperSettingsSchema = z.strictObject({
  /** The chat completions URL of the router's Envoy listener, e.g. http://localhost:8899/v1/chat/completions. */
  endpoint: z.url({ protocol: /^https?$/ }),
  /** Deadline of one model call (each retry gets its own). */
  timeout_ms: z.int().min(1).max(3_600_000).default(120_000),
  /** Extra attempts of a call that failed with a network error, a timeout, 429 or 5xx. */
  retries: z.int().min(0).max(5).default(0),
  /** Headers sent with every looper call (e.g. a tracing tag or an API key the listener expects). */
  headers: z.record(z.string(), z.string()).default({}),
});

export type LooperSettingsDocument = z.infer<typeof looperSettingsSchema>;

export interface LooperSettings {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly headers: Readonly<Record<string, string>>;
}

export function compileLooperSettings(doc: LooperSettingsDocument): LooperSettings {
  return { endpoint: doc.endpoint, timeoutMs: doc.timeout_ms, retries: doc.retries, headers: doc.headers };
}

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined;
}

/**
 * The v1 `looper` of a v0.3 file's `global.integrations.looper` (endpoint, timeout_seconds, retry_count, headers),
 * or undefined when it names no endpoint. Values are passed on unchecked: the v1 schema validates them.
 */
export function looperFromV03(global: unknown): Record<string, unknown> | undefined {
  const looper = field(field(global, 'integrations'), 'looper');
  const endpoint = field(looper, 'endpoint');
  if (typeof endpoint !== 'string' || endpoint === '') return undefined;
  const timeoutSeconds = field(looper, 'timeout_seconds');
  const retries = field(looper, 'retry_count');
  const headers = field(looper, 'headers');
  return {
    endpoint,
    ...(typeof timeoutSeconds === 'number' && { timeout_ms: Math.round(timeoutSeconds * 1000) }),
    ...(retries !== undefined && { retries }),
    ...(headers !== undefined && { headers }),
  };
}
