// Per-stream state machine: one instance per ext_proc stream (= one HTTP request), one handler per phase.
import {
  BodyTooLargeError,
  HeadersTooLargeError,
  InternalRouterError,
  InvalidRequestError,
  RouterError,
} from '../errors.ts';
import { CLIENT_ALLOWED_ROUTER_HEADERS, HEADER, SPOOFABLE_HEADER_PREFIXES } from '../headers.ts';
import { CONTINUE, type HeaderPair, type PhaseResult } from '../mutations.ts';
import { errorAnswerFor, type RequestRouter, type RoutedRequest } from '../pipeline.ts';
import type { LlmApi } from '../request/apis/index.ts';
import type { FilterMetadata } from '../request/identity.ts';
import { RouteRecord } from '../telemetry/route-record.ts';
import { NOOP_STREAM_TELEMETRY, type StreamTelemetry } from '../telemetry/stream-telemetry.ts';

export interface StreamProcessorOptions {
  /** Largest request body accepted (BUFFERED bodies are bounded by Envoy; STREAMED ones by this). */
  readonly maxBodyBytes: number;
  /** On an unexpected (non-RouterError) failure: let the request go on to Envoy's default route instead of 500. */
  readonly failOpen: boolean;
  /** Told about unexpected failures (the server logs them). */
  readonly onUnexpectedError: (error: unknown) => void;
  /** This stream's spans and metrics; default none. */
  readonly telemetry?: StreamTelemetry;
}

/** HTTP/2 pseudo-header with the upstream's status code, as Envoy sends response headers. */
const STATUS_PSEUDO_HEADER = ':status';

const NO_METADATA: FilterMetadata = new Map();

export class StreamProcessor {
  private requestHeaders = new Map<string, string>();
  private method = '';
  private path = '';
  private api: LlmApi | undefined;
  private metadata: FilterMetadata = NO_METADATA;
  private isLlmRequest = false;
  private bodyChunks: Uint8Array[] = [];
  private bodyBytes = 0;
  private routed: RoutedRequest | undefined;
  private answeredLocally = false;
  private failed: RouterError | undefined;
  private readonly telemetry: StreamTelemetry;

  constructor(
    private readonly router: RequestRouter,
    private readonly options: StreamProcessorOptions,
  ) {
    this.telemetry = options.telemetry ?? NOOP_STREAM_TELEMETRY;
  }

  /** The header limits of the policy this stream is bound to (the server stops reading headers beyond them). */
  get headerLimits(): RequestRouter['headerLimits'] {
    return this.router.headerLimits;
  }

  /** Filter metadata Envoy forwarded (metadata_options): the trusted identity source. */
  setMetadata(metadata: FilterMetadata): void {
    if (metadata.size > 0) this.metadata = metadata;
  }

  /**
   * `headers`: lower-case names, repeated headers joined with `,`. `overLimit`: set when the headers exceed the
   * router's limits (the rest was not read), answered 431.
   */
  onRequestHeaders(headers: Map<string, string>, endOfStream: boolean, overLimit?: string): PhaseResult {
    this.method = (headers.get(HEADER.method) ?? 'GET').toUpperCase();
    const rawPath = headers.get(HEADER.path) ?? '/';
    // Routing and identity headers a client must not set: removed upstream and never read.
    const removeHeaders: string[] = [];
    for (const name of headers.keys()) {
      if (SPOOFABLE_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))) {
        removeHeaders.push(name);
        if (!CLIENT_ALLOWED_ROUTER_HEADERS.has(name)) headers.delete(name);
      }
    }
    for (const name of this.router.untrustedHeaders) {
      if (headers.delete(name)) removeHeaders.push(name);
    }
    this.requestHeaders = headers;
    // Trace context for the upstream request (empty with tracing off): the model server's spans join the trace.
    // The query string stays out of telemetry: it may carry credentials (`?api_key=`).
    const query = rawPath.search(/[?#]/);
    const traceHeaders = this.telemetry.requestHeaders(
      this.method,
      query < 0 ? rawPath : rawPath.slice(0, query),
      headers,
    );
    if (overLimit !== undefined) return this.fail(new HeadersTooLargeError(overLimit));
    const admission = this.router.admit({ method: this.method, path: rawPath, headers });
    switch (admission.kind) {
      case 'local':
        this.answeredLocally = true;
        this.telemetry.answered('local');
        return admission.result;
      case 'reject':
        this.api = admission.api;
        return this.fail(admission.error);
      case 'passthrough':
        this.path = admission.path;
        this.telemetry.answered('passthrough');
        return {
          kind: 'continue',
          removeHeaders,
          ...(traceHeaders.length > 0 && { setHeaders: traceHeaders }),
          modeOverride: { requestBodyMode: 'NONE', responseBodyMode: 'NONE' },
        };
      case 'route':
        this.path = admission.path;
        this.api = admission.api;
        this.isLlmRequest = true;
        if (endOfStream) return this.fail(new InvalidRequestError('Request has no body', 'missing_body'));
        return {
          kind: 'continue',
          removeHeaders,
          ...(traceHeaders.length > 0 && { setHeaders: traceHeaders }),
        };
    }
  }

  async onRequestBody(chunk: Uint8Array, endOfStream: boolean): Promise<PhaseResult> {
    if (!this.isLlmRequest || this.failed || this.api === undefined) return CONTINUE;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.options.maxBodyBytes) {
      this.bodyChunks = [];
      return this.fail(new BodyTooLargeError(this.options.maxBodyBytes));
    }
    if (chunk.length > 0) this.bodyChunks.push(chunk);
    // STREAMED mode: hold the chunks back until the whole body is here, then send the rewritten body at once.
    if (!endOfStream) return { kind: 'continue', clearBody: true };
    const body =
      this.bodyChunks.length === 1 ? (this.bodyChunks[0] as Uint8Array) : Buffer.concat(this.bodyChunks);
    this.bodyChunks = [];
    const record = new RouteRecord();
    try {
      this.routed = await this.router.route(
        {
          method: this.method,
          path: this.path,
          api: this.api,
          headers: this.requestHeaders,
          metadata: this.metadata,
          body,
        },
        record,
      );
    } catch (error) {
      return this.fail(error, record);
    }
    this.telemetry.routed(record, this.routed);
    return this.routed.requestResult;
  }

  onResponseHeaders(headers: Map<string, string>): PhaseResult {
    if (this.answeredLocally) return CONTINUE;
    const setHeaders: HeaderPair[] = this.routed ? [...this.routed.diagnosticHeaders] : [];
    if (!this.isLlmRequest) return { kind: 'continue', modeOverride: { responseBodyMode: 'NONE' } };
    const contentType = headers.get(HEADER.contentType) ?? '';
    // Server-sent events must flow to the client as they come: switch the response body to STREAMED.
    const sse = contentType.toLowerCase().startsWith('text/event-stream');
    const status = Number(headers.get(STATUS_PSEUDO_HEADER));
    this.telemetry.responseHeaders(Number.isInteger(status) ? status : undefined, sse);
    return {
      kind: 'continue',
      setHeaders,
      ...(sse && { modeOverride: { responseBodyMode: 'STREAMED' } }),
    };
  }

  onResponseBody(endOfStream: boolean): PhaseResult {
    if (endOfStream) this.telemetry.responseEnd();
    return CONTINUE;
  }

  /** Frees what the stream holds (called once, on end, error or cancel; `streamFailed` on a stream error). */
  release(streamFailed = false): void {
    this.bodyChunks = [];
    this.requestHeaders = new Map();
    this.metadata = NO_METADATA;
    this.routed = undefined;
    this.telemetry.close(streamFailed);
  }

  private fail(error: unknown, record?: RouteRecord): PhaseResult {
    this.telemetry.failed(error, record, this.options.failOpen);
    if (error instanceof RouterError) {
      this.failed = error;
      return errorAnswerFor(error, this.api, this.requestHeaders);
    }
    this.options.onUnexpectedError(error);
    this.failed = new InternalRouterError('The router failed to process this request', error);
    return this.options.failOpen ? CONTINUE : errorAnswerFor(this.failed, this.api, this.requestHeaders);
  }
}
