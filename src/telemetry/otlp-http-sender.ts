// POSTs OTLP/HTTP protobuf export requests over one keep-alive agent: the collector's connection is reused from
// export to export. A 2xx answer is success. As the SDK's OTLP exporter does, 429/502/503/504 answers, timeouts
// and connection failures are retried (up to 5 times, backing off 1 s × 1.5 each time with ±20 % jitter, at most
// 5 s, or after the answer's Retry-After) while the export timeout allows; anything else fails at once.
import http from 'node:http';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

// TLS and gzip are loaded only when an endpoint needs them: nothing more to import at start than tracing uses.
const require = createRequire(import.meta.url);
const https = (): typeof import('node:https') => require('node:https');
const gzipAsync = (body: Uint8Array): Promise<Buffer> =>
  promisify((require('node:zlib') as typeof import('node:zlib')).gzip)(body);

export const DEFAULT_OTLP_HTTP_TRACES_URL = 'http://localhost:4318/v1/traces';
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

type Attempt =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retry'; readonly error: Error; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'failed'; readonly error: Error };

/** Retry-After in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number.parseInt(header, 10);
  if (Number.isInteger(seconds)) return Math.max(0, seconds * 1000);
  const at = new Date(header).getTime();
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export interface OtlpHttpSenderOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMillis: number;
  readonly compression: 'gzip' | 'none';
  /** PEM: the CA to trust and the client's certificate and key (https only). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

export class OtlpHttpSender {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(private readonly options: OtlpHttpSenderOptions) {
    this.url = new URL(options.url);
    const secure = this.url.protocol === 'https:';
    if (!secure && this.url.protocol !== 'http:')
      throw new Error(`OTLP traces endpoint ${options.url}: only http: and https: URLs are supported`);
    this.agent = secure
      ? new (https().Agent)({ keepAlive: true, ...options.tls })
      : new http.Agent({ keepAlive: true });
    this.request = secure ? https().request : http.request;
    this.headers = {
      ...options.headers,
      'content-type': 'application/x-protobuf',
      ...(options.compression === 'gzip' && { 'content-encoding': 'gzip' }),
    };
  }

  /** Resolves once the collector accepted the body; rejects with why it did not. */
  async send(body: Uint8Array): Promise<void> {
    const payload = this.options.compression === 'gzip' ? await gzipAsync(body) : body;
    const deadline = Date.now() + this.options.timeoutMillis;
    let backoff = INITIAL_BACKOFF_MS;
    for (let retries = 0; ; retries++) {
      const attempt = await this.attempt(payload, Math.max(1, deadline - Date.now()));
      if (attempt.kind === 'sent') return;
      if (attempt.kind === 'failed' || retries === MAX_RETRIES) throw attempt.error;
      const jittered = Math.min(backoff * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS);
      backoff *= BACKOFF_MULTIPLIER;
      const wait = attempt.retryAfterMs ?? jittered;
      if (wait > deadline - Date.now()) throw attempt.error;
      await sleep(wait);
    }
  }

  private attempt(payload: Uint8Array, timeoutMillis: number): Promise<Attempt> {
    return new Promise<Attempt>((resolve) => {
      const request = this.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...this.headers, 'content-length': String(payload.length) },
          timeout: timeoutMillis,
        },
        (response) => {
          response.resume();
          response.on('error', (error) => resolve({ kind: 'failed', error }));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve({ kind: 'sent' });
            else {
              const error = new Error(`OTLP traces endpoint answered ${status}`);
              resolve(
                RETRYABLE_STATUS.has(status)
                  ? { kind: 'retry', error, retryAfterMs: retryAfterMs(response.headers['retry-after']) }
                  : { kind: 'failed', error },
              );
            }
          });
        },
      );
      request.on('timeout', () => {
        const error = new Error(`OTLP export timed out after ${timeoutMillis} ms`);
        request.destroy(error);
        resolve({ kind: 'retry', error, retryAfterMs: undefined });
      });
      request.on('error', (error: NodeJS.ErrnoException) =>
        resolve(
          error.code !== undefined && RETRYABLE_NETWORK_ERRORS.has(error.code)
            ? { kind: 'retry', error, retryAfterMs: undefined }
            : { kind: 'failed', error },
        ),
      );
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
