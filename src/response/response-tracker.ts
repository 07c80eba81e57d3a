// One routed request's answer, as the response stage reads it: status, time to first token, time per output token,
// latency, usage (JSON `usage` or the SSE usage frame), errors and cost. It also rewrites a streamed body when the
// router added `stream_options.include_usage`, so the client receives exactly the frames it asked for.
import type { LlmApi } from '../request/apis/types.ts';
import type { ResponseBodyKind, StatusClass } from '../telemetry/metric-names.ts';
import { gpuTimeCost, type Pricing, tokenCost } from './cost.ts';
import type { FinishReason } from './finish-reason.ts';
import { isIdentityEncoding, isJsonContentType, readJsonResponse } from './json-response.ts';
import { StreamResponseReader } from './stream-reader.ts';
import type { ResponseError, TokenUsage } from './usage.ts';

export interface ResponseTrackerOptions {
  readonly api: LlmApi;
  /** The router added `stream_options.include_usage`: strip the usage-only frame from the client's stream. */
  readonly stripUsageFrame: boolean;
  /** performance.now()-like clock, in ms. */
  readonly now: () => number;
  /** When the routing answer went to Envoy (the request left for the upstream). */
  readonly startedAt: number;
  /** Cost basis: the model's token prices, or the pool's GPU price per hour × upstream time. */
  readonly cost:
    | { readonly basis: 'tokens'; readonly pricing: Pricing | undefined }
    | { readonly basis: 'gpu_time'; readonly costPerHour: number | undefined };
  /** Largest JSON answer read for its usage. */
  readonly maxJsonBytes?: number;
}

/** What the response stage learned, once the answer ended (or the stream did). */
export interface AnswerSummary {
  readonly status: number | undefined;
  readonly statusClass: StatusClass;
  readonly streaming: boolean;
  /** The body was read to its end. */
  readonly complete: boolean;
  readonly body: ResponseBodyKind;
  readonly latencyMs: number;
  readonly ttftMs: number | undefined;
  readonly tpotMs: number | undefined;
  readonly usage: TokenUsage | undefined;
  readonly error: ResponseError | undefined;
  /** Why the answer ended, when the body said so (read answers only). */
  readonly finishReason: FinishReason | undefined;
  readonly cost: number | undefined;
  /** A failure of the pool: a 5xx answer (Envoy's local replies for resets and timeouts included). */
  readonly poolFailed: boolean;
}

function statusClassOf(status: number | undefined): StatusClass {
  if (status === undefined || !Number.isFinite(status)) return 'reset';
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 5 ? (`${hundreds}xx` as StatusClass) : 'reset';
}

/**
 * Bytes of a JSON answer kept for reading its usage; beyond, the body passes through unread (`too_large`). 2 MiB
 * parses in a few ms; an 8 MiB body would hold the event loop for 15–20 ms (bench/response-stage.ts).
 */
const DEFAULT_MAX_JSON_BYTES = 2 * 1024 * 1024;

export class ResponseTracker {
  readonly #options: ResponseTrackerOptions;
  #status: number | undefined;
  #contentType: string | undefined;
  #contentEncoding: string | undefined;
  #reader: StreamResponseReader | undefined;
  #jsonChunks: Uint8Array[] = [];
  #jsonBytes = 0;
  #jsonTooLarge = false;
  #summary: AnswerSummary | undefined;

  constructor(options: ResponseTrackerOptions) {
    this.#options = options;
  }

  /** The upstream's response headers. Returns whether the body is a stream of server-sent events. */
  headers(
    status: number | undefined,
    contentType: string | undefined,
    contentEncoding: string | undefined,
  ): boolean {
    this.#status = status;
    this.#contentType = contentType;
    this.#contentEncoding = contentEncoding;
    const sse = (contentType ?? '').toLowerCase().startsWith('text/event-stream');
    if (sse && isIdentityEncoding(contentEncoding)) {
      this.#reader = new StreamResponseReader(this.#options.api, {
        stripUsageOnlyFrames: this.#options.stripUsageFrame,
        now: this.#options.now,
      });
    }
    return sse;
  }

  /**
   * A body chunk. Returns the bytes to send the client in its place (a streamed answer whose usage frame is being
   * stripped, when they differ from the chunk), or undefined to forward the chunk unchanged.
   */
  body(chunk: Uint8Array, endOfStream: boolean): Uint8Array | undefined {
    if (this.#summary) return undefined;
    let replacement: Uint8Array | undefined;
    if (this.#reader) {
      const pushed = this.#reader.push(chunk);
      const rest = endOfStream ? this.#reader.end() : undefined;
      // A chunk forwarded as it came needs no body mutation (Envoy would copy it for nothing).
      if (this.#options.stripUsageFrame && !(pushed === chunk && (rest === undefined || rest.length === 0))) {
        replacement = rest === undefined ? pushed : pushed ? Buffer.concat([pushed, rest]) : rest;
        replacement ??= new Uint8Array(0);
      }
    } else if (!this.#jsonTooLarge && chunk.length > 0) {
      this.#jsonBytes += chunk.length;
      if (this.#jsonBytes > (this.#options.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES)) {
        this.#jsonTooLarge = true;
        this.#jsonChunks = [];
      } else {
        this.#jsonChunks.push(chunk);
      }
    }
    if (endOfStream) this.finish(true);
    return replacement;
  }

  /** The summary once the answer ended; undefined before. */
  get finished(): AnswerSummary | undefined {
    return this.#summary;
  }

  /** Ends the answer (idempotent): `complete` when the body was read to its end, false when the stream broke off. */
  finish(complete: boolean): AnswerSummary {
    if (this.#summary) return this.#summary;
    const now = this.#options.now();
    const latencyMs = Math.max(0, now - this.#options.startedAt);
    let usage: TokenUsage | undefined;
    let error: ResponseError | undefined;
    let finishReason: FinishReason | undefined;
    let body: ResponseBodyKind = 'none';
    const reader = this.#reader;
    let ttftMs: number | undefined;
    let tpotMs: number | undefined;
    if (reader) {
      body = 'parsed';
      usage = reader.usage;
      error = reader.error;
      finishReason = reader.finishReason;
      if (reader.firstTokenAt !== undefined)
        ttftMs = Math.max(0, reader.firstTokenAt - this.#options.startedAt);
      const completion = usage?.completionTokens ?? reader.tokenFrames;
      if (reader.firstTokenAt !== undefined && reader.lastTokenAt !== undefined && completion > 1)
        tpotMs = (reader.lastTokenAt - reader.firstTokenAt) / (completion - 1);
    } else if (this.#status !== undefined) {
      if (!isIdentityEncoding(this.#contentEncoding)) body = 'encoded';
      else if (!isJsonContentType(this.#contentType)) body = this.#jsonBytes > 0 ? 'not_json' : 'none';
      else if (this.#jsonTooLarge) body = 'too_large';
      else if (!complete) body = 'invalid';
      else {
        const bytes =
          this.#jsonChunks.length === 1
            ? (this.#jsonChunks[0] as Uint8Array)
            : Buffer.concat(this.#jsonChunks);
        const read = readJsonResponse(this.#options.api, bytes, this.#contentType, this.#contentEncoding);
        body = read.parsed ? 'parsed' : 'invalid';
        usage = read.usage;
        error = read.error;
        finishReason = read.finishReason;
      }
      this.#jsonChunks = [];
    }
    const status = this.#status;
    const cost =
      this.#options.cost.basis === 'tokens'
        ? usage && tokenCost(this.#options.cost.pricing, usage)
        : gpuTimeCost(this.#options.cost.costPerHour, latencyMs / 1000);
    this.#summary = {
      status,
      statusClass: statusClassOf(status),
      streaming: reader !== undefined,
      complete,
      body,
      latencyMs,
      ttftMs,
      tpotMs,
      usage,
      error,
      finishReason,
      cost,
      // Upstream resets, connect failures and timeouts reach the router as Envoy's local 5xx replies; a stream that
      // ends before any response headers is the client going away (or Envoy giving up), not evidence against the pool.
      poolFailed: status !== undefined && status >= 500,
    };
    return this.#summary;
  }
}
