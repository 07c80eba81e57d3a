// One streamed (SSE) answer of an LLM API, read chunk by chunk: token timing, usage, end and errors; optionally
// with the usage-only chunk the router asked for (src/response/include-usage.ts) left out of what the client gets.
import { bufferView } from '../buffer-view.ts';
import { isObject, type JsonObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';
import {
  choicesFinishReason,
  type FinishReason,
  normaliseFinishReason,
  responsesFinishReason,
} from './finish-reason.ts';
import { OutputFrameShapes } from './frame-shapes.ts';
import { anthropicDeltaHasOutput, choiceHasOutput } from './output.ts';
import { DEFAULT_MAX_FRAME_BYTES, type SseFrame, SseParser } from './sse-parser.ts';
import { mergeUsage, type ResponseError, readError, readUsage, type TokenUsage } from './usage.ts';

export interface StreamResponseReaderOptions {
  /**
   * Leave out of the forwarded bytes the chat/completions chunk that has `choices: []` and `usage`: it exists only
   * because the router added `stream_options.include_usage`. Ignored for the Responses and Messages APIs (their
   * usage is part of events the client expects), whose chunks are then always forwarded unchanged.
   */
  readonly stripUsageOnlyFrames: boolean;
  /** The clock of `firstTokenAt` / `lastTokenAt` (any unit; called at most once per push). */
  readonly now: () => number;
  /** See SseParserOptions.maxFrameBytes. */
  readonly maxFrameBytes?: number;
}

const EMPTY = new Uint8Array(0);
const NO_FRAMES: readonly SseFrame[] = [];

/**
 * Feed it the response body's chunks in order (`push`), then `end()` once the stream ends. With stripping, send
 * the client what `push` / `end` return instead of the chunks (a frame cut by a chunk boundary is held back and
 * comes with a later return value); without it, forward the chunks unchanged. Observations are readable any time.
 */
export class StreamResponseReader {
  readonly #api: LlmApi;
  readonly #strip: boolean;
  readonly #now: () => number;
  readonly #parser: SseParser;
  readonly #maxFrameBytes: number;
  readonly #shapes: OutputFrameShapes;
  #pushTime: number | undefined;
  #firstTokenAt: number | undefined;
  #lastTokenAt: number | undefined;
  #tokenFrames = 0;
  #unparsedFrames = 0;
  #strippedFrames = 0;
  #usage: TokenUsage | undefined;
  #done = false;
  #error: ResponseError | undefined;
  #finishReason: FinishReason | undefined;

  constructor(api: LlmApi, options: StreamResponseReaderOptions) {
    this.#api = api;
    this.#strip = options.stripUsageOnlyFrames && (api === 'chat_completions' || api === 'completions');
    this.#now = options.now;
    this.#shapes = new OutputFrameShapes(api);
    this.#parser = new SseParser(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** `now()` when the first frame carrying generated output arrived (time to first token). */
  get firstTokenAt(): number | undefined {
    return this.#firstTokenAt;
  }

  /** `now()` when the last frame carrying generated output arrived. */
  get lastTokenAt(): number | undefined {
    return this.#lastTokenAt;
  }

  /** Frames that carried generated output (one token each with vLLM's default streaming; more when batched). */
  get tokenFrames(): number {
    return this.#tokenFrames;
  }

  /** Frames that were not SSE events of JSON (non-SSE lines, invalid JSON, oversized frames): passed on untouched. */
  get unparsedFrames(): number {
    return this.#unparsedFrames;
  }

  /** Usage-only frames left out of the forwarded bytes. */
  get strippedFrames(): number {
    return this.#strippedFrames;
  }

  /** The latest usage report (chat's usage chunk; Responses' final event; Anthropic's start and delta, merged). */
  get usage(): TokenUsage | undefined {
    return this.#usage;
  }

  /**
   * The API's end-of-stream marker arrived: chat/completions `data: [DONE]`, Responses `response.completed` or
   * `response.incomplete` (a length- or filter-capped answer still ends properly), Anthropic `message_stop`. A
   * stream that ends without it was cut off, or failed (see `error`).
   */
  get done(): boolean {
    return this.#done;
  }

  /** Why the answer ended, once a frame said so (the first choice's `finish_reason`, `stop_reason`, or status). */
  get finishReason(): FinishReason | undefined {
    return this.#finishReason;
  }

  /** The first error the stream reported: an `{error}` frame, a Responses `error` or `response.failed` event. */
  get error(): ResponseError | undefined {
    return this.#error;
  }

  /** The bytes to send in place of `chunk` when stripping (possibly none yet), else undefined: send `chunk`. */
  push(chunk: Uint8Array): Uint8Array | undefined {
    this.#pushTime = undefined;
    const heldBefore = this.#parser.bufferedBytes;
    const known = this.#skipKnownFrames(chunk);
    const frames =
      known === chunk.length ? NO_FRAMES : this.#parser.push(known === 0 ? chunk : chunk.subarray(known));
    if (!this.#strip) {
      for (const frame of frames) this.#observe(frame);
      return undefined;
    }
    const kept = this.#keep(frames);
    // Every frame kept and nothing held on either side: the frames are exactly the chunk.
    if (kept.length === frames.length && heldBefore === 0 && this.#parser.bufferedBytes === 0) return chunk;
    return known === 0 ? concat(kept) : concat([chunk.subarray(0, known), ...kept]);
  }

  /**
   * Reads the leading frames of `chunk` that have a known raw shape (output frames, never stripped) without the
   * parser; returns how many bytes they take. Only where a frame starts: nothing is held from the last chunk.
   */
  #skipKnownFrames(chunk: Uint8Array): number {
    if (!this.#parser.atFrameBoundary || !this.#shapes.hasRawShapes) return 0;
    const bytes = bufferView(chunk);
    let offset = 0;
    for (;;) {
      const end = this.#shapes.matchRaw(bytes, offset, this.#maxFrameBytes);
      if (end < 0) return offset;
      if (this.#shapes.rawHadText) this.#tokenArrived();
      offset = end;
    }
  }

  /** At the end of the stream: the held-back bytes to send (stripping), else undefined. */
  end(): Uint8Array | undefined {
    this.#pushTime = undefined;
    const frames = this.#parser.end();
    if (!this.#strip) {
      for (const frame of frames) this.#observe(frame);
      return undefined;
    }
    return concat(this.#keep(frames));
  }

  #keep(frames: readonly SseFrame[]): Uint8Array[] {
    const kept: Uint8Array[] = [];
    for (const frame of frames) {
      if (this.#observe(frame)) this.#strippedFrames++;
      else kept.push(frame.raw);
    }
    return kept;
  }

  /** Reads one frame; true when it is a usage-only frame to leave out. */
  #observe(frame: SseFrame): boolean {
    if (frame.oversized) {
      if (!frame.partial) this.#unparsedFrames++;
      return false;
    }
    if (!frame.hasData) {
      // Comments and keep-alives are SSE; lines of unknown fields mean the body is something else.
      if (frame.unknownFields > 0) this.#unparsedFrames++;
      return false;
    }
    if (frame.data === '[DONE]') {
      // OpenAI's terminator for chat and completions; other APIs end with an event of their own.
      if (this.#api === 'chat_completions' || this.#api === 'completions') this.#done = true;
      return false;
    }
    // Most frames are token frames of a shape seen before: no need to parse them (see frame-shapes.ts).
    const known = this.#shapes.match(frame.event, frame.data);
    if (known !== undefined) {
      if (known) this.#tokenArrived();
      return false;
    }
    let json: unknown;
    try {
      json = JSON.parse(frame.data);
    } catch {
      this.#unparsedFrames++;
      return false;
    }
    if (!isObject(json)) {
      this.#unparsedFrames++;
      return false;
    }
    // OpenAI / vLLM `data: {"error": {...}}` mid-stream, and Anthropic's `{"type": "error", "error": {...}}`.
    if (isObject(json.error) && (json.type === undefined || json.type === 'error')) {
      this.#error ??= readError(json.error);
      return false;
    }
    this.#shapes.learn(frame.event, frame.data, json, frame.raw);
    switch (this.#api) {
      case 'chat_completions':
      case 'completions':
        return this.#observeChunk(json);
      case 'responses':
        this.#observeResponseEvent(json, frame.event);
        return false;
      case 'messages':
        this.#observeMessageEvent(json, frame.event);
        return false;
    }
  }

  #observeChunk(chunk: JsonObject): boolean {
    const { choices } = chunk;
    if (Array.isArray(choices) && choices.some(choiceHasOutput)) this.#tokenArrived();
    this.#finishReason ??= choicesFinishReason(choices);
    const usage = readUsage(this.#api, chunk.usage);
    if (usage === undefined) return false;
    this.#usage = usage;
    return this.#strip && Array.isArray(choices) && choices.length === 0;
  }

  /** Responses events name their type in `type` (and in the SSE `event:` line). */
  #observeResponseEvent(event: JsonObject, name: string | undefined): void {
    const type = typeof event.type === 'string' ? event.type : name;
    if (type === undefined) return;
    switch (type) {
      case 'response.completed':
      case 'response.incomplete':
        this.#finishReason ??= responsesFinishReason(this.#readResponseUsage(event));
        this.#done = true;
        return;
      case 'response.failed': {
        const response = this.#readResponseUsage(event);
        const error = response && isObject(response.error) ? response.error : {};
        this.#error ??= readError({ code: 'response_failed', ...error });
        return;
      }
      case 'error':
        // `{type: 'error', code, message, param}`: the event's own `type` says nothing of the error.
        this.#error ??= readError({ code: event.code, message: event.message });
        return;
      default:
        // Every `response.*.delta` streams output: text, refusal, reasoning, tool arguments, audio, code.
        if (type.endsWith('.delta') && event.delta !== '') this.#tokenArrived();
    }
  }

  #readResponseUsage(event: JsonObject): JsonObject | undefined {
    const response = event.response;
    if (!isObject(response)) return undefined;
    const usage = readUsage(this.#api, response.usage);
    if (usage !== undefined) this.#usage = usage;
    return response;
  }

  #observeMessageEvent(event: JsonObject, name: string | undefined): void {
    const type = typeof event.type === 'string' ? event.type : name;
    switch (type) {
      case 'message_start': {
        const usage = isObject(event.message) ? readUsage(this.#api, event.message.usage) : undefined;
        if (usage !== undefined) this.#usage = mergeUsage(this.#usage, usage);
        return;
      }
      case 'message_delta': {
        if (isObject(event.delta)) this.#finishReason ??= normaliseFinishReason(event.delta.stop_reason);
        const usage = readUsage(this.#api, event.usage);
        if (usage !== undefined) this.#usage = mergeUsage(this.#usage, usage);
        return;
      }
      case 'content_block_delta':
        if (anthropicDeltaHasOutput(event.delta)) this.#tokenArrived();
        return;
      case 'message_stop':
        this.#done = true;
        return;
      case 'error':
        this.#error ??= readError({ type: 'error' });
        return;
      default:
    }
  }

  #tokenArrived(): void {
    // Frames of one chunk arrived together: one clock reading per push.
    this.#pushTime ??= this.#now();
    this.#firstTokenAt ??= this.#pushTime;
    this.#lastTokenAt = this.#pushTime;
    this.#tokenFrames++;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0] as Uint8Array;
  return Buffer.concat(parts);
}
