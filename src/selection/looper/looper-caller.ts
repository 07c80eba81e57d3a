// One model call of a looper: a non-streaming chat completion POSTed to the looper endpoint (the router's own
// Envoy listener) with the loop-guard header, so the call goes straight to the named model and is never looped.
import type { LooperSettings } from './looper-settings.ts';

/** Marks a looper's own call: the router routes it to the model it names and runs no looper for it. */
export const LOOPER_REQUEST_HEADER = 'x-vsr-looper-request';
/** Names the looper algorithm on a looper call and on the answer the looper returns to the client. */
export const LOOPER_ALGORITHM_HEADER = 'x-vsr-looper-algorithm';

/** The largest looper reply the router reads. */
const MAX_REPLY_BYTES = 8 * 1024 * 1024;

export interface LooperCall {
  /** The algorithm making the call (sent in x-vsr-looper-algorithm). */
  readonly algorithm: string;
  /** What goes in the body's `model`: the candidate's provider model id (or LoRA name). */
  readonly upstreamModel: string;
  /** The client's request body: every field is kept except `model`, `stream` and `stream_options`. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Replaces the body's messages when set. */
  readonly messages?: readonly unknown[];
  readonly temperature?: number | undefined;
  readonly maxCompletionTokens?: number | undefined;
  /** Ask for token logprobs with this many alternatives per token. */
  readonly topLogprobs?: number;
  /** A deadline shorter than the endpoint's (e.g. a round's or the prompt helper's). */
  readonly timeoutMs?: number | undefined;
}

export interface TokenLogprob {
  readonly logprob: number;
  /** Logprobs of the alternatives the server listed (the chosen token usually among them). */
  readonly top: readonly number[];
}

export interface CallUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface LooperReply {
  readonly content: string;
  readonly usage: CallUsage;
  readonly tokenLogprobs: readonly TokenLogprob[];
}

export interface LooperCaller {
  /** Set on the stand-in of tools that only plan a route (explain, simulate, eval): it is never called. */
  readonly planOnly?: boolean;
  /** Rejects with a LooperCallError (never with prompt or answer text in its message). */
  call(request: LooperCall, signal?: AbortSignal): Promise<LooperReply>;
}

/** Why a looper call failed, without request or answer text. */
export class LooperCallError extends Error {
  /** Whether another attempt may succeed (network error, timeout, 429, 5xx). */
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'LooperCallError';
    this.retryable = retryable;
  }
}

function number(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof record(part)?.text === 'string' ? record(part)?.text : '')).join('');
}

function tokenLogprobs(logprobs: unknown): TokenLogprob[] {
  const content = record(logprobs)?.content;
  if (!Array.isArray(content)) return [];
  return content.flatMap((token) => {
    const entry = record(token);
    if (typeof entry?.logprob !== 'number') return [];
    const top = Array.isArray(entry.top_logprobs)
      ? entry.top_logprobs
          .map((alt) => record(alt)?.logprob)
          .filter((lp): lp is number => typeof lp === 'number')
      : [];
    return [{ logprob: entry.logprob, top }];
  });
}

/** Reads a chat completion; throws LooperCallError when it is not one. */
export function readChatCompletion(payload: unknown): LooperReply {
  const choice = record((record(payload)?.choices as unknown[] | undefined)?.[0]);
  const message = record(choice?.message);
  if (!message) throw new LooperCallError('the looper endpoint answered without choices[0].message', false);
  const usage = record(record(payload)?.usage);
  return {
    content: textOf(message.content),
    usage: { promptTokens: number(usage?.prompt_tokens), completionTokens: number(usage?.completion_tokens) },
    tokenLogprobs: tokenLogprobs(choice?.logprobs),
  };
}

export function requestBody(call: LooperCall): Record<string, unknown> {
  const { stream: _stream, stream_options: _options, ...rest } = call.body;
  const body: Record<string, unknown> = { ...rest, model: call.upstreamModel, stream: false };
  if (call.messages) body.messages = call.messages;
  if (call.temperature !== undefined) body.temperature = call.temperature;
  if (call.maxCompletionTokens !== undefined) {
    body.max_completion_tokens = call.maxCompletionTokens;
    delete body.max_tokens;
  }
  if (call.topLogprobs !== undefined) {
    body.logprobs = true;
    body.top_logprobs = call.topLogprobs;
  }
  return body;
}

function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

async function attempt(
  settings: LooperSettings,
  call: LooperCall,
  body: string,
  signal: AbortSignal | undefined,
): Promise<LooperReply> {
  const deadline = AbortSignal.timeout(Math.min(call.timeoutMs ?? settings.timeoutMs, settings.timeoutMs));
  let response: Response;
  try {
    response = await fetch(settings.endpoint, {
      method: 'POST',
      headers: {
        ...settings.headers,
        'content-type': 'application/json',
        [LOOPER_REQUEST_HEADER]: 'true',
        [LOOPER_ALGORITHM_HEADER]: call.algorithm,
      },
      body,
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
  } catch (error) {
    if (signal?.aborted) throw new LooperCallError('the client went away', false);
    const timedOut = deadline.aborted;
    throw new LooperCallError(
      timedOut
        ? 'the looper call timed out'
        : `the looper endpoint is unreachable (${(error as Error).name})`,
      true,
    );
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_REPLY_BYTES) {
    await response.body?.cancel();
    throw new LooperCallError(`the looper reply is larger than ${MAX_REPLY_BYTES} bytes`, false);
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw new LooperCallError(
      signal?.aborted ? 'the client went away' : 'the looper reply was cut off',
      true,
    );
  }
  if (!response.ok)
    throw new LooperCallError(
      `the looper endpoint answered ${response.status}`,
      retryableStatus(response.status),
    );
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new LooperCallError('the looper endpoint answered with invalid JSON', false);
  }
  return readChatCompletion(payload);
}

/** The looper of a tool that plans routes without calling models: loopers route to their final model instead. */
export const PLAN_ONLY_LOOPER: LooperCaller = {
  planOnly: true,
  call: () => Promise.reject(new LooperCallError('this tool does not call models', false)),
};

/** Calls over HTTP: per-call deadline, `retries` extra attempts of retryable failures, abort when `signal` fires. */
export function httpLooperCaller(settings: LooperSettings): LooperCaller {
  return {
    async call(call, signal) {
      const body = JSON.stringify(requestBody(call));
      for (let tries = 0; ; tries++) {
        try {
          return await attempt(settings, call, body, signal);
        } catch (error) {
          const failure = error as LooperCallError;
          if (!failure.retryable || tries >= settings.retries || signal?.aborted) throw failure;
        }
      }
    },
  };
}
