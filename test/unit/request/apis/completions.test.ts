// Legacy completions adapter: prompts of every form → one user message; bad prompts → InvalidRequestError; the
// system prompt is prepended to the prompt.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/errors.ts';
import { completionsApi as api } from '../../../../src/request/apis/completions.ts';

const user = (text: string) => ({ role: 'user', text, imageCount: 0, toolCallCount: 0, toolText: '' });

describe('completions: parse', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a string prompt', { prompt: 'Say this is a test' }, 'Say this is a test'],
    ['a batch of prompts', { prompt: ['Once upon a time', 'In a galaxy'] }, 'Once upon a time\nIn a galaxy'],
    ['token ids carry no text', { prompt: [1212, 318, 257] }, ''],
    ['batches of token ids carry no text', { prompt: [[1212], [318]] }, ''],
    ['non-strings in a batch are dropped', { prompt: ['one', 7, 'two'] }, 'one\ntwo'],
    [
      'the insertion suffix is read too',
      { prompt: 'def f():', suffix: '    return 1' },
      'def f():\n    return 1',
    ],
  ])('%s', (_label, fields, text) => {
    const request = api.parse({ model: 'auto', ...fields });
    expect(request.messages).toEqual([user(text)]);
    expect(request.api).toBe('completions');
  });

  it('reads max_tokens, stream and metadata', () => {
    expect(api.parse({ model: 'a', prompt: 'x', max_tokens: 16, stream: true })).toMatchObject({
      maxOutputTokens: 16,
      stream: true,
      toolCount: 0,
      toolText: '',
    });
  });

  it('a body with chat messages instead of a prompt is still read', () => {
    expect(api.parse({ model: 'a', messages: [{ role: 'user', content: 'hi' }] }).messages).toEqual([
      user('hi'),
    ]);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['no model', { prompt: 'x' }, 'missing_model', "'model'"],
    ['no prompt', { model: 'a' }, 'missing_messages', "'prompt'"],
    ['a numeric prompt', { model: 'a', prompt: 42 }, 'invalid_request', "'prompt'"],
    ['an object prompt', { model: 'a', prompt: { text: 'x' } }, 'invalid_request', "'prompt'"],
    [
      'max_tokens is fractional',
      { model: 'a', prompt: 'x', max_tokens: 1.5 },
      'invalid_request',
      "'max_tokens'",
    ],
  ])('%s → %s naming %s', (_label, body, code, field) => {
    expect(() => api.parse(body)).toThrow(InvalidRequestError);
    try {
      api.parse(body);
    } catch (error) {
      expect((error as InvalidRequestError).code).toBe(code);
      expect((error as InvalidRequestError).message).toContain(field);
    }
  });
});

describe('completions: patches', () => {
  it.each<[string, unknown, 'replace' | 'insert', unknown]>([
    ['string prompt, insert', 'Tell me a joke', 'insert', 'P\n\nTell me a joke'],
    [
      'string prompt, replace (there is no system slot to replace)',
      'Tell me a joke',
      'replace',
      'P\n\nTell me a joke',
    ],
    ['batch: every prompt', ['a', 'b'], 'insert', ['P\n\na', 'P\n\nb']],
    ['token ids are left alone', [1, 2, 3], 'insert', [1, 2, 3]],
  ])('system prompt: %s', (_label, prompt, mode, expected) => {
    const body: Record<string, unknown> = { model: 'a', prompt };
    api.applySystemPrompt(body, 'P', mode);
    expect(body.prompt).toEqual(expected);
  });

  it('reasoning uses the chat behaviour (top-level field or chat_template_kwargs)', () => {
    const body: Record<string, unknown> = {};
    api.applyReasoning(body, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, 'low');
    api.applyReasoning(
      body,
      { type: 'chat_template_kwargs', parameter: 'enable_thinking' },
      false,
      undefined,
    );
    expect(body).toEqual({ reasoning_effort: 'low', chat_template_kwargs: { enable_thinking: false } });
  });
});
