// OpenAI request parsing: body bytes → JSON object → typed chat request, with stable error codes for bad input.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors.ts';
import {
  DEFAULT_MAX_JSON_DEPTH,
  decodeJsonBody,
  parseLlmRequest,
  parseOpenAIRequest,
  rewriteModel,
} from '../../../src/request/openai-request.ts';
import {
  buildRequestContext,
  estimateJoinedTokens,
  estimateTokens,
} from '../../../src/request/request-context.ts';
import { seededRandom } from '../../../src/seeded-random.ts';
import { contextFor } from '../../helpers/request-context.ts';

function thrown(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

const chat = (extra: Record<string, unknown>) => ({ model: 'auto', ...extra });

describe('decodeJsonBody', () => {
  it('decodes a UTF-8 JSON object', () => {
    expect(
      decodeJsonBody(Buffer.from('{"model":"auto","messages":[{"role":"user","content":"héllo 你好"}]}')),
    ).toEqual({
      model: 'auto',
      messages: [{ role: 'user', content: 'héllo 你好' }],
    });
  });

  it('accepts a UTF-8 byte order mark', () => {
    expect(decodeJsonBody(Buffer.from('\uFEFF{"a":1}', 'utf8'))).toEqual({ a: 1 });
  });

  it('keeps a byte order mark inside a string, and reads a view into a larger buffer', () => {
    expect(decodeJsonBody(Buffer.from('{"a":"\uFEFFx"}', 'utf8'))).toEqual({ a: '\uFEFFx' });
    const whole = Buffer.from('xx{"model":"ü"}yy');
    expect(decodeJsonBody(whole.subarray(2, whole.length - 2))).toEqual({ model: 'ü' });
  });

  it.each([
    ['invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_encoding'],
    ['Latin-1 text', Buffer.from('{"model":"café"}', 'latin1'), 'invalid_encoding'],
    ['an encoded UTF-16 surrogate', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), 'invalid_encoding'],
    ['truncated multi-byte sequence', Buffer.from([0x22, 0xe4, 0xbd]), 'invalid_encoding'],
    ['an overlong encoding', Buffer.from([0x22, 0xc0, 0xaf, 0x22]), 'invalid_encoding'],
    ['not JSON', Buffer.from('model=auto&prompt=hi'), 'invalid_json'],
    ['truncated JSON', Buffer.from('{"model":"auto","messages":['), 'invalid_json'],
    ['empty body', Buffer.alloc(0), 'invalid_json'],
    ['a JSON array', Buffer.from('[{"model":"auto"}]'), 'invalid_json'],
    ['JSON null', Buffer.from('null'), 'invalid_json'],
    ['a JSON string', Buffer.from('"hello"'), 'invalid_json'],
    ['a JSON number', Buffer.from('42'), 'invalid_json'],
  ])('%s → 400 %s', (_label, bytes, code) => {
    const error = thrown(() => decodeJsonBody(bytes));
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(400);
    expect(error.errorType).toBe('invalid_request_error');
  });

  it('says what is wrong in the message', () => {
    expect(thrown(() => decodeJsonBody(Buffer.from([0xff]))).message).toMatch(/UTF-8/);
    expect(thrown(() => decodeJsonBody(Buffer.from('{oops'))).message).toMatch(/not valid JSON/);
    expect(thrown(() => decodeJsonBody(Buffer.from('[]'))).message).toMatch(/JSON object/);
  });
});

describe('decodeJsonBody: nesting depth', () => {
  const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

  it.each([
    ['at the default limit', nested(DEFAULT_MAX_JSON_DEPTH), true],
    ['one level over the default limit', nested(DEFAULT_MAX_JSON_DEPTH + 1), false],
    ['5,000 levels', nested(5_000), false],
    ['100,000 levels', nested(100_000), false],
    ['100,000 unclosed levels', '['.repeat(100_000), false],
    ['brackets inside a string do not count', JSON.stringify({ a: '['.repeat(1_000) }), true],
    ['escaped quotes do not end the string', JSON.stringify({ a: `\\"${'{'.repeat(1_000)}\\"` }), true],
    [
      'an escaped backslash before the closing quote ends the string',
      `{"a":"\\\\","b":${'['.repeat(80)}${']'.repeat(80)}}`,
      false,
    ],
    ['brackets after a string still count', `{"a":"x\\"","b":${'['.repeat(80)}${']'.repeat(80)}}`, false],
  ])('%s', (_label, text, accepted) => {
    const bytes = Buffer.from(text, 'utf8');
    if (accepted) {
      expect(() => decodeJsonBody(bytes)).not.toThrow();
      return;
    }
    const error = thrown(() => decodeJsonBody(bytes));
    expect(error.code).toBe('json_too_deep');
    expect(error.httpStatus).toBe(400);
    expect(error.message).toContain(String(DEFAULT_MAX_JSON_DEPTH));
  });

  it('takes a custom limit', () => {
    expect(() => decodeJsonBody(Buffer.from(nested(3)), { maxDepth: 3 })).not.toThrow();
    const error = thrown(() => decodeJsonBody(Buffer.from(nested(4)), { maxDepth: 3 }));
    expect(error.code).toBe('json_too_deep');
    expect(error.message).toContain('3');
  });
});

describe('parseOpenAIRequest / parseLlmRequest', () => {
  it('parseOpenAIRequest picks the adapter by path', () => {
    expect(parseOpenAIRequest(chat({ messages: [{ role: 'user', content: 'x' }] })).api).toBe(
      'chat_completions',
    );
    expect(parseOpenAIRequest(chat({ prompt: 'x' }), '/v1/completions').api).toBe('completions');
  });

  it('parseLlmRequest parses as the named API', () => {
    expect(parseLlmRequest('responses', chat({ input: 'hi' })).messages[0]?.text).toBe('hi');
    expect(
      parseLlmRequest('messages', chat({ max_tokens: 9, messages: [{ role: 'user', content: 'hi' }] })).api,
    ).toBe('messages');
  });
});

describe('parseOpenAIRequest: messages', () => {
  it('reads string content', () => {
    const request = parseOpenAIRequest(chat({ messages: [{ role: 'user', content: 'hello' }] }));
    expect(request.messages).toEqual([
      { role: 'user', text: 'hello', imageCount: 0, toolCallCount: 0, toolText: '' },
    ]);
    expect(request.model).toBe('auto');
  });

  it('joins the text parts of multi-part content with newlines and counts images', () => {
    const request = parseOpenAIRequest(
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'first' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              { type: 'text', text: 'second' },
              { type: 'input_image', image_url: 'https://example.com/b.png' },
              { type: 'image', source: {} },
              { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
              'not a part',
              null,
              { type: 'text', text: 42 },
            ],
          },
        ],
      }),
    );
    expect(request.messages[0]).toEqual({
      role: 'user',
      text: 'first\nsecond',
      imageCount: 3,
      toolCallCount: 0,
      toolText: '',
    });
  });

  it('counts tool calls per assistant message and tolerates null content', () => {
    const request = parseOpenAIRequest(
      chat({
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: '1', type: 'function', function: { name: 'w', arguments: '{}' } },
              { id: '2', type: 'function', function: { name: 'w', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: '1', content: 'sunny' },
        ],
      }),
    );
    expect(request.messages.map((m) => [m.role, m.text, m.toolCallCount])).toEqual([
      ['user', 'weather?', 0],
      ['assistant', '', 2],
      ['tool', 'sunny', 0],
    ]);
  });

  it('counts declared tools, reads stream and metadata, keeps the body', () => {
    const body = chat({
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function' }, { type: 'function' }],
      stream: true,
      metadata: { tier: 'gold' },
      temperature: 0.2,
    });
    const request = parseOpenAIRequest(body);
    expect(request).toMatchObject({ toolCount: 2, stream: true, metadata: { tier: 'gold' } });
    expect(request.body).toBe(body);
  });

  it.each([
    ['stream "true" (string) is not streaming', { stream: 'true' }, { stream: false }],
    ['no tools', {}, { toolCount: 0 }],
    ['tools not an array', { tools: { type: 'function' } }, { toolCount: 0 }],
    ['metadata array is ignored', { metadata: ['a'] }, { metadata: {} }],
    ['metadata null is ignored', { metadata: null }, { metadata: {} }],
  ])('%s', (_label, extra, expected) => {
    expect(parseOpenAIRequest(chat({ messages: [{ role: 'user', content: 'x' }], ...extra }))).toMatchObject(
      expected,
    );
  });
});

describe('parseOpenAIRequest: legacy completions', () => {
  it.each([
    ['a string prompt', 'Once upon a time', 'Once upon a time'],
    ['an array prompt joined by newlines', ['one', 'two'], 'one\ntwo'],
    ['an array prompt with non-strings dropped', ['one', 7, 'two'], 'one\ntwo'],
  ])('%s becomes one user message', (_label, prompt, text) => {
    const request = parseOpenAIRequest({ model: 'auto', prompt }, '/v1/completions');
    expect(request.messages).toEqual([{ role: 'user', text, imageCount: 0, toolCallCount: 0, toolText: '' }]);
  });

  it('a non-string prompt is a 400', () => {
    const error = thrown(() => parseOpenAIRequest({ model: 'auto', prompt: 42 }, '/v1/completions'));
    expect(error).toMatchObject({ code: 'invalid_request', httpStatus: 400 });
    expect(error.message).toContain("'prompt'");
  });

  it('a prompt on the chat path is not a substitute for messages', () => {
    expect(thrown(() => parseOpenAIRequest({ model: 'auto', prompt: 'hi' })).code).toBe('missing_messages');
  });

  it('the completions path still accepts messages', () => {
    const request = parseOpenAIRequest(
      chat({ messages: [{ role: 'user', content: 'hi' }] }),
      '/v1/completions',
    );
    expect(request.messages[0]?.text).toBe('hi');
  });
});

describe('parseOpenAIRequest: invalid requests', () => {
  it.each([
    ['missing messages', { model: 'auto' }, 'missing_messages', "'messages'"],
    ['messages not an array', { model: 'auto', messages: 'hi' }, 'missing_messages', "'messages'"],
    ['empty messages', { model: 'auto', messages: [] }, 'missing_messages', 'must not be empty'],
    ['missing model', { messages: [{ role: 'user', content: 'hi' }] }, 'missing_model', "'model'"],
    ['empty model', { model: '', messages: [{ role: 'user', content: 'hi' }] }, 'missing_model', "'model'"],
    ['numeric model', { model: 4, messages: [{ role: 'user', content: 'hi' }] }, 'missing_model', "'model'"],
    [
      'message without role',
      { model: 'auto', messages: [{ content: 'hi' }] },
      'invalid_request',
      'messages[0]',
    ],
    [
      'second message not an object',
      { model: 'auto', messages: [{ role: 'user', content: 'a' }, 'b'] },
      'invalid_request',
      'messages[1]',
    ],
    [
      'content neither string nor array',
      { model: 'auto', messages: [{ role: 'user', content: 42 }] },
      'invalid_request',
      'messages[0].content',
    ],
  ])('%s → 400 %s', (_label, body, code, where) => {
    const error = thrown(() => parseOpenAIRequest(body));
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(400);
    expect(error.message).toContain(where);
  });
});

describe('rewriteModel', () => {
  it('replaces model and keeps every other field', () => {
    const request = parseOpenAIRequest(
      chat({ messages: [{ role: 'user', content: 'x' }], temperature: 0.2, vendor_field: { keep: true } }),
    );
    expect(JSON.parse(rewriteModel(request, 'Qwen/Qwen3-8B').toString('utf8'))).toEqual({
      model: 'Qwen/Qwen3-8B',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.2,
      vendor_field: { keep: true },
    });
  });
});

describe('estimateTokens', () => {
  it.each([
    ['', 0],
    ['abcd', 1],
    ['abcde', 2],
    ['abcd'.repeat(100), 100],
    ['你好世界', 4],
    ['こんにちは', 5],
    ['안녕하세요', 5],
    ['hello 世界', 4],
  ])('%j ≈ %i tokens', (text, tokens) => {
    expect(estimateTokens(text)).toBe(tokens);
  });

  it('CJK costs about four times as much per character as ASCII', () => {
    expect(estimateTokens('字'.repeat(1000))).toBe(1000);
    expect(estimateTokens('a'.repeat(1000))).toBe(250);
  });

  it.each([
    [[]],
    [['']],
    [['', '']],
    [['abc', 'd']],
    [['Привет', 'مرحبا', '😀x', '\ud83d', '字 a']],
    [Array.from({ length: 9 }, (_, i) => 'ab'.repeat(i))],
  ])('of %j joined with newlines, counted without joining', (texts) => {
    expect(estimateJoinedTokens(texts)).toBe(estimateTokens(texts.join('\n')));
  });

  it('a long text counts as its short pieces do (long texts are read run by run)', () => {
    const pieces = [
      'Latin text with accents: café, naïve. ',
      'Привет, мир! ',
      '字字字 ',
      '😀 ',
      '\ud83d',
      'x\u036f\u0370',
    ];
    const random = seededRandom(7);
    const parts = Array.from({ length: 3000 }, () => pieces[Math.floor(random() * pieces.length)] as string);
    expect(parts.join('\n').length).toBeGreaterThan(20_000);
    expect(estimateTokens(parts.join('\n'))).toBe(estimateJoinedTokens(parts));
    expect(estimateTokens(`${'a'.repeat(9000)}字`)).toBe(2251);
  });
});

describe('buildRequestContext', () => {
  it('derives the text views signals read', () => {
    const context = contextFor({
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
      ],
      headers: { 'X-Authz-User-Id': 'alice' },
    });
    expect(context.lastUserText).toBe('second');
    expect(context.allUserText).toBe('first\nsecond');
    expect(context.conversationText).toBe('sys\nfirst\nreply\nsecond');
    expect(context.promptTokens).toBe(estimateTokens('sys\nfirst\nreply\nsecond') + 4 * 4);
    expect(context.headers.get('x-authz-user-id')).toBe('alice');
    expect(context.debug).toBe(false);
  });

  it('has empty user text when no user message exists', () => {
    const context = contextFor({ messages: [{ role: 'system', content: 'only a system prompt' }] });
    expect(context.lastUserText).toBe('');
    expect(context.allUserText).toBe('');
  });

  it('carries method, path and the debug flag', () => {
    const request = parseOpenAIRequest(chat({ messages: [{ role: 'user', content: 'x' }] }));
    const context = buildRequestContext({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: new Map(),
      request,
      debug: true,
    });
    expect(context).toMatchObject({ method: 'POST', path: '/v1/chat/completions', debug: true, request });
  });
});
