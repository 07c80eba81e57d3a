// POSTs OTLP/HTTP protobuf export requests over one keep-alive agent: the collector's connection is reused from
// export to export. A 2xx answer is success; anything else, a timeout or a network error is a failure the caller
// counts (no retry: the next batch is the retry, as spans keep coming).
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
    await new Promise<void>((resolve, reject) => {
      const request = this.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...this.headers, 'content-length': String(payload.length) },
          timeout: this.options.timeoutMillis,
        },
        (response) => {
          response.resume();
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`OTLP traces endpoint answered ${status}`));
          });
        },
      );
      request.on('timeout', () =>
        request.destroy(new Error(`OTLP export timed out after ${this.options.timeoutMillis} ms`)),
      );
      request.on('error', reject);
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
