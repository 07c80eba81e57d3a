// Why an answer ended, read from JSON answers and SSE streams of every API, in one vocabulary; automix escalates
// from answers cut off by the token limit, filtered, or empty.
import { describe, expect, it } from 'vitest';
import { normaliseFinishReason } from '../../../src/response/finish-reason.ts';
import { readJsonResponse } from '../../../src/response/json-response.ts';
import { ResponseTracker } from '../../../src/response/response-tracker.ts';
import { StreamResponseReader } from '../../../src/response/stream-reader.ts';
import { flaggedAnswer } from '../../../src/selection/algorithms/automix.ts';
import { anthropicStream, bytes, responsesStream, vllmChatStream } from './streams.ts';

const sse = (...frames: [string | undefined, unknown][]) =>
  Buffer.from(
    frames
      .map(([event, data]) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`)
      .join(''),
  );

function streamed(api: ConstructorParameters<typeof StreamResponseReader>[0], body: Uint8Array) {
  const reader = new StreamResponseReader(api, { stripUsageOnlyFrames: false, now: () => 0 });
  reader.push(body);
  reader.end();
  return reader.finishReason;
}

const json = (api: Parameters<typeof readJsonResponse>[0], body: unknown) =>
  readJsonResponse(api, Buffer.from(JSON.stringify(body)), 'application/json', undefined).finishReason;

describe('finish reasons', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['max_tokens', 'length'],
    ['max_output_tokens', 'length'],
    ['end_turn', 'stop'],
    ['refusal', 'content_filter'],
    ['tool_use', 'tool_calls'],
    ['abort', 'other'],
  ])('%s reads as %s', (raw, reason) => {
    expect(normaliseFinishReason(raw)).toBe(reason);
  });

  it('is unknown while a chunk says null', () => {
    expect(normaliseFinishReason(null)).toBeUndefined();
  });

  it('reads whole JSON answers of the four APIs', () => {
    expect(
      json('chat_completions', { choices: [{ finish_reason: 'length', message: { content: 'x' } }] }),
    ).toBe('length');
    expect(json('completions', { choices: [{ finish_reason: 'stop', text: 'x' }] })).toBe('stop');
    expect(
      json('responses', { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }),
    ).toBe('length');
    expect(json('responses', { status: 'completed' })).toBe('stop');
    expect(json('messages', { stop_reason: 'max_tokens', content: [] })).toBe('length');
  });

  it('reads the realistic streams of each API to their normal end', () => {
    expect(streamed('chat_completions', bytes(vllmChatStream({ contentTokens: ['Hi', '!'] })))).toBe('stop');
    expect(streamed('responses', bytes(responsesStream('Hello there')))).toBe('stop');
    expect(streamed('messages', bytes(anthropicStream('Hello there')))).toBe('stop');
  });

  it('reads a stream cut off by the token limit, after content frames of a learned shape', () => {
    const chunk = (content: string, finish: string | null) => [
      undefined,
      {
        id: 'c',
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content }, finish_reason: finish }],
      },
    ];
    const body = sse(
      chunk('a', null) as [undefined, unknown],
      chunk('b', null) as [undefined, unknown],
      chunk('c', null) as [undefined, unknown],
      chunk('', 'length') as [undefined, unknown],
    );
    expect(streamed('chat_completions', body)).toBe('length');
    const messages = sse(['message_delta', { type: 'message_delta', delta: { stop_reason: 'max_tokens' } }]);
    expect(streamed('messages', messages)).toBe('length');
    const responses = sse([
      'response.incomplete',
      {
        type: 'response.incomplete',
        response: { status: 'incomplete', incomplete_details: { reason: 'content_filter' } },
      },
    ]);
    expect(streamed('responses', responses)).toBe('content_filter');
  });

  it('reaches the answer summary', () => {
    const tracker = new ResponseTracker({
      api: 'chat_completions',
      stripUsageFrame: false,
      now: () => 0,
      startedAt: 0,
      cost: { basis: 'tokens', pricing: undefined },
    });
    tracker.headers(200, 'application/json', undefined);
    tracker.body(Buffer.from(JSON.stringify({ choices: [{ finish_reason: 'length' }] })), true);
    expect(tracker.finish(true).finishReason).toBe('length');
  });
});

describe('automix flags', () => {
  const ok = { failed: false, status: 200 };
  it.each([
    [{ ...ok, finishReason: 'stop', completionTokens: 120 }, false],
    [{ ...ok, finishReason: 'tool_calls', completionTokens: 30 }, false],
    [{ ...ok }, false],
    [{ ...ok, finishReason: 'length', completionTokens: 4096 }, true],
    [{ ...ok, finishReason: 'content_filter', completionTokens: 3 }, true],
    [{ ...ok, finishReason: 'stop', completionTokens: 0 }, true],
    [{ ...ok, completionTokens: 0 }, false],
    [{ failed: true, status: 503 }, true],
    [{ failed: false, status: 429 }, true],
  ] as const)('%j flagged: %s', (outcome, flagged) => {
    expect(flaggedAnswer(outcome)).toBe(flagged);
  });
});
