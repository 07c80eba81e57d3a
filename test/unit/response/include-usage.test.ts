// The router asks streamed chat/completions for usage, without touching the client's nested objects.
import { describe, expect, it } from 'vitest';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import { addUsageOption, needsUsageOption } from '../../../src/response/include-usage.ts';

describe('needsUsageOption', () => {
  it.each<[string, LlmApi, Record<string, unknown>, boolean]>([
    ['streamed chat without stream_options', 'chat_completions', { model: 'auto', stream: true }, true],
    ['streamed completions without stream_options', 'completions', { model: 'auto', stream: true }, true],
    [
      'include_usage false',
      'chat_completions',
      { stream: true, stream_options: { include_usage: false } },
      true,
    ],
    [
      'other stream options only',
      'chat_completions',
      { stream: true, stream_options: { continuous_usage_stats: true } },
      true,
    ],
    ['stream_options null', 'chat_completions', { stream: true, stream_options: null }, true],
    [
      'include_usage already true',
      'chat_completions',
      { stream: true, stream_options: { include_usage: true } },
      false,
    ],
    [
      'include_usage "true" (a string) is not true',
      'chat_completions',
      { stream: true, stream_options: { include_usage: 'true' } },
      true,
    ],
    ['not streamed', 'chat_completions', { stream: false }, false],
    ['stream omitted', 'completions', {}, false],
    ['stream "true" (a string) is not streaming', 'chat_completions', { stream: 'true' }, false],
    ['Responses always reports usage', 'responses', { stream: true }, false],
    ['Anthropic always reports usage', 'messages', { stream: true }, false],
  ])('%s', (_label, api, body, expected) => {
    expect(needsUsageOption(api, body)).toBe(expected);
  });
});

describe('addUsageOption', () => {
  it('adds stream_options when there are none', () => {
    const body: Record<string, unknown> = { model: 'auto', stream: true };
    addUsageOption(body);
    expect(body).toEqual({ model: 'auto', stream: true, stream_options: { include_usage: true } });
    expect(needsUsageOption('chat_completions', body)).toBe(false);
  });

  it("keeps the client's other options and replaces the nested object instead of changing it", () => {
    const clientOptions = Object.freeze({ include_usage: false, continuous_usage_stats: true });
    const body: Record<string, unknown> = { stream: true, stream_options: clientOptions };
    addUsageOption(body);
    expect(body.stream_options).toEqual({ include_usage: true, continuous_usage_stats: true });
    expect(body.stream_options).not.toBe(clientOptions);
    expect(clientOptions).toEqual({ include_usage: false, continuous_usage_stats: true });
  });

  it('replaces a stream_options that is not an object', () => {
    const body: Record<string, unknown> = { stream: true, stream_options: 'yes' };
    addUsageOption(body);
    expect(body.stream_options).toEqual({ include_usage: true });
  });
});
