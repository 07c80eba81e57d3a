// A complete chat completion answer as the cache keeps it (one choice, text content), read from the upstream's
// JSON body or from its whole SSE stream, and replayed as JSON or as a well-formed SSE stream.
import { answerId, sseFrame, textDeltas, unixSeconds } from '../../request/apis/answers.ts';
import { SseParser } from '../../response/sse-parser.ts';

export interface CachedAnswer {
  readonly model: string;
  readonly content: string;
  readonly finishReason: string;
  readonly usage: Readonly<Record<string, number>> | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function usageOf(value: unknown): Record<string, number> | undefined {
  if (!isRecord(value)) return undefined;
  const usage: Record<string, number> = {};
  for (const [name, n] of Object.entries(value)) if (typeof n === 'number') usage[name] = n;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

/** A `chat.completion` body with exactly one text choice and no tool calls; undefined for anything else. */
export function answerFromJson(body: Uint8Array): CachedAnswer | undefined {
  const parsed = parseJson(Buffer.from(body).toString('utf8'));
  if (!isRecord(parsed) || parsed.object !== 'chat.completion' || !Array.isArray(parsed.choices))
    return undefined;
  if (parsed.choices.length !== 1) return undefined;
  const choice: unknown = parsed.choices[0];
  if (!isRecord(choice) || !isRecord(choice.message) || typeof choice.finish_reason !== 'string')
    return undefined;
  const { content, tool_calls: toolCalls } = choice.message;
  if (typeof content !== 'string' || (Array.isArray(toolCalls) && toolCalls.length > 0)) return undefined;
  return {
    model: typeof parsed.model === 'string' ? parsed.model : '',
    content,
    finishReason: choice.finish_reason,
    usage: usageOf(parsed.usage),
  };
}

/**
 * The message a whole chat completion SSE stream carried: every frame JSON, one choice, a finish reason and the
 * closing `[DONE]`. A stream that stops early, carries an error, tool calls or several choices gives undefined.
 */
export function answerFromSse(stream: Uint8Array): CachedAnswer | undefined {
  const parser = new SseParser();
  const frames = [...parser.push(stream), ...parser.end()];
  let content = '';
  let model = '';
  let finishReason: string | undefined;
  let usage: Record<string, number> | undefined;
  let done = false;
  for (const frame of frames) {
    if (!frame.hasData) continue;
    if (done || frame.oversized || frame.partial) return undefined;
    if (frame.data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = parseJson(frame.data);
    if (!isRecord(chunk) || chunk.object !== 'chat.completion.chunk' || !Array.isArray(chunk.choices))
      return undefined;
    if (typeof chunk.model === 'string') model = chunk.model;
    usage = usageOf(chunk.usage) ?? usage;
    for (const choice of chunk.choices) {
      if (!isRecord(choice) || (choice.index ?? 0) !== 0) return undefined;
      const delta = choice.delta;
      if (isRecord(delta)) {
        if (delta.tool_calls !== undefined || delta.function_call !== undefined) return undefined;
        if (typeof delta.content === 'string') content += delta.content;
      }
      if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
    }
  }
  if (!done || finishReason === undefined) return undefined;
  return { model, content, finishReason, usage };
}

const NO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

export function replayJson(answer: CachedAnswer): Uint8Array {
  const body = {
    id: answerId('chatcmpl-'),
    object: 'chat.completion',
    created: unixSeconds(),
    model: answer.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.content, refusal: null },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage ?? NO_USAGE,
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * Role chunk, content deltas, the finish chunk, then (when the client asked with `stream_options.include_usage`)
 * a usage chunk with no choices, as OpenAI sends it, and `[DONE]`.
 */
export function replaySse(answer: CachedAnswer, includeUsage: boolean): Uint8Array {
  const id = answerId('chatcmpl-');
  const created = unixSeconds();
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    sseFrame(undefined, {
      id,
      object: 'chat.completion.chunk',
      created,
      model: answer.model,
      choices,
      ...extra,
    });
  const delta = (d: Record<string, unknown>, finish: string | null) => [
    { index: 0, delta: d, logprobs: null, finish_reason: finish },
  ];
  const frames = [
    chunk(delta({ role: 'assistant', content: '' }, null)),
    ...textDeltas(answer.content).map((text) => chunk(delta({ content: text }, null))),
    chunk(delta({}, answer.finishReason)),
    ...(includeUsage ? [chunk([], { usage: answer.usage ?? NO_USAGE })] : []),
    sseFrame(undefined, '[DONE]'),
  ];
  return Buffer.from(frames.join(''), 'utf8');
}

/** Bytes the entry holds in memory (UTF-16 text plus a fixed overhead for the record and its map slots). */
export function answerBytes(answer: CachedAnswer): number {
  return 2 * (answer.content.length + answer.model.length + answer.finishReason.length) + 256;
}
