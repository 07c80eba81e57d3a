// Per-stream state machine: one instance per ext_proc stream (= one HTTP request), one handler per phase.
import { BodyTooLargeError, InternalRouterError, InvalidRequestError, RouterError } from '../errors.ts';
import { CLIENT_ALLOWED_ROUTER_HEADERS, HEADER, SPOOFABLE_HEADER_PREFIXES } from '../headers.ts';
import { CONTINUE, type HeaderPair, type PhaseResult } from '../mutations.ts';
import type { RequestRouter, RoutedRequest } from '../pipeline.ts';
import { errorResponse, modelsListResponse } from '../responses.ts';
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

/** Paths whose bodies are LLM requests the router must see. */
const LLM_PATHS = ['/v1/chat/completions', '/v1/completions'];

function pathWithoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

export class StreamProcessor {
  private requestHeaders = new Map<string, string>();
  private method = '';
  private path = '';
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

  onRequestHeaders(headers: Map<string, string>, endOfStream: boolean): PhaseResult {
    this.method = (headers.get(HEADER.method) ?? 'GET').toUpperCase();
    this.path = pathWithoutQuery(headers.get(HEADER.path) ?? '/');
    const removeHeaders: string[] = [];
    for (const name of headers.keys()) {
      if (SPOOFABLE_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix))) {
        removeHeaders.push(name);
        if (!CLIENT_ALLOWED_ROUTER_HEADERS.has(name)) headers.delete(name);
      }
    }
    this.requestHeaders = headers;
    // Trace context for the upstream request (empty with tracing off): the model server's spans join the trace.
    const traceHeaders = this.telemetry.requestHeaders(this.method, this.path, headers);
    if (this.method === 'GET' && this.path === '/v1/models') {
      this.answeredLocally = true;
      this.telemetry.answered('local');
      return modelsListResponse(this.router.listModels());
    }
    this.isLlmRequest = this.method === 'POST' && LLM_PATHS.includes(this.path);
    if (this.isLlmRequest && endOfStream)
      return this.fail(new InvalidRequestError('Request has no body', 'missing_body'));
    if (!this.isLlmRequest) this.telemetry.answered('passthrough');
    const result: PhaseResult = {
      kind: 'continue',
      removeHeaders,
      ...(traceHeaders.length > 0 && { setHeaders: traceHeaders }),
      ...(!this.isLlmRequest && { modeOverride: { requestBodyMode: 'NONE', responseBodyMode: 'NONE' } }),
    };
    return result;
  }

  async onRequestBody(chunk: Uint8Array, endOfStream: boolean): Promise<PhaseResult> {
    if (!this.isLlmRequest || this.failed) return CONTINUE;
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
        { method: this.method, path: this.path, headers: this.requestHeaders, body },
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
    this.routed = undefined;
    this.telemetry.close(streamFailed);
  }

  private fail(error: unknown, record?: RouteRecord): PhaseResult {
    this.telemetry.failed(error, record, this.options.failOpen);
    if (error instanceof RouterError) {
      this.failed = error;
      return errorResponse(error);
    }
    this.options.onUnexpectedError(error);
    this.failed = new InternalRouterError('The router failed to process this request', error);
    return this.options.failOpen ? CONTINUE : errorResponse(this.failed);
  }
}
