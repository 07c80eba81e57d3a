// Chat completions adapter: realistic requests (OpenAI API reference examples) → messages and tool text; bad input
// → InvalidRequestError naming the field; system prompt and reasoning patches.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/errors.ts';
import { chatCompletionsApi as api } from '../../../../src/request/apis/chat-completions.ts';
import type { ChatMessage } from '../../../../src/request/apis/types.ts';

const m = (role: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  role,
  text,
  imageCount: 0,
  toolCallCount: 0,
  toolText: '',
  ...extra,
});

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_current_weather',
    description: 'Get the current weather in a given location',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['location'],
    },
  },
};

describe('chat completions: parse', () => {
  it.each<[string, Record<string, unknown>, ChatMessage[]]>([
    [
      'developer prompt and user turn',
      {
        messages: [
          { role: 'developer', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Hello!' },
        ],
      },
      [m('developer', 'You are a helpful assistant.'), m('user', 'Hello!')],
    ],
    [
      'multi-turn with a system prompt',
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Who won the world series in 2020?' },
          { role: 'assistant', content: 'The Los Angeles Dodgers.' },
          { role: 'user', content: 'Where was it played?' },
        ],
      },
      [
        m('system', 'You are terse.'),
        m('user', 'Who won the world series in 2020?'),
        m('assistant', 'The Los Angeles Dodgers.'),
        m('user', 'Where was it played?'),
      ],
    ],
    [
      'image input',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: "What's in this image?" },
              { type: 'image_url', image_url: { url: 'https://example.com/boardwalk.jpg' } },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
        ],
      },
      [m('user', "What's in this image?", { imageCount: 2 })],
    ],
    [
      'tool calls and tool results',
      {
        messages: [
          { role: 'user', content: "What's the weather like in Boston and Paris?" },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_current_weather', arguments: '{"location":"Boston, MA"}' },
              },
              {
                id: 'call_2',
                type: 'function',
                function: { name: 'get_current_weather', arguments: '{"location":"Paris"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '22 celsius' },
          { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '14 celsius' }] },
        ],
        tools: [WEATHER_TOOL],
      },
      [
        m('user', "What's the weather like in Boston and Paris?"),
        m('assistant', '', {
          toolCallCount: 2,
          toolText: 'get_current_weather {"location":"Boston, MA"}\nget_current_weather {"location":"Paris"}',
        }),
        m('tool', '22 celsius'),
        m('tool', '14 celsius'),
      ],
    ],
    [
      'deprecated function_call and function role',
      {
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{}' } },
          { role: 'function', name: 'get_weather', content: 'sunny' },
        ],
      },
      [
        m('user', 'Weather?'),
        m('assistant', '', { toolCallCount: 1, toolText: 'get_weather {}' }),
        m('tool', 'sunny'),
      ],
    ],
    [
      'Responses-style part names, refusals and unknown parts',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'one' },
              { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
              { type: 'file', file: { file_id: 'f1' } },
              { type: 'text', text: 'two' },
            ],
          },
          { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] },
          { role: 'assistant', content: null, refusal: 'No.' },
        ],
      },
      [m('user', 'one\ntwo'), m('assistant', 'I cannot help with that.'), m('assistant', 'No.')],
    ],
  ])('%s', (_label, body, messages) => {
    const request = api.parse({ model: 'auto', ...body });
    expect(request.messages).toEqual(messages);
    expect(request.api).toBe('chat_completions');
  });

  it('declared tools: count and names, descriptions, parameter schemas (plus deprecated functions)', () => {
    const request = api.parse({
      model: 'auto',
      messages: [{ role: 'user', content: 'x' }],
      tools: [WEATHER_TOOL, { type: 'custom', custom: { name: 'code_exec', description: 'Runs Python' } }],
      functions: [{ name: 'legacy_fn', parameters: { type: 'object' } }],
    });
    expect(request.toolCount).toBe(3);
    expect(request.toolText).toBe(
      [
        'get_current_weather',
        'Get the current weather in a given location',
        JSON.stringify(WEATHER_TOOL.function.parameters),
        'code_exec',
        'Runs Python',
        'legacy_fn',
        '{"type":"object"}',
      ].join('\n'),
    );
  });

  it.each([
    [{ max_completion_tokens: 100, max_tokens: 50 }, 100],
    [{ max_tokens: 50 }, 50],
    [{ max_completion_tokens: null, max_tokens: 7 }, 7],
    [{}, undefined],
  ])('max output tokens of %j is %s', (fields, expected) => {
    const body = { model: 'auto', messages: [{ role: 'user', content: 'x' }], ...fields };
    expect(api.parse(body).maxOutputTokens).toBe(expected);
    expect(api.maxOutputTokens(body)).toBe(expected);
  });

  it('reads stream and metadata, keeps the body', () => {
    const body = {
      model: 'auto',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      metadata: { a: 'b' },
    };
    expect(api.parse(body)).toMatchObject({ stream: true, metadata: { a: 'b' }, body });
  });
});

describe('chat completions: invalid requests', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['no model', { messages: [{ role: 'user', content: 'x' }] }, 'missing_model', "'model'"],
    ['model is a number', { model: 3, messages: [] }, 'missing_model', "'model'"],
    ['no messages', { model: 'a' }, 'missing_messages', "'messages'"],
    ['messages is an object', { model: 'a', messages: { role: 'user' } }, 'missing_messages', "'messages'"],
    ['empty messages', { model: 'a', messages: [] }, 'missing_messages', "'messages'"],
    ['a message is a string', { model: 'a', messages: ['hi'] }, 'invalid_request', 'messages[0]'],
    [
      'role is a number',
      { model: 'a', messages: [{ role: 1, content: 'x' }] },
      'invalid_request',
      'messages[0]',
    ],
    [
      'content is a number',
      {
        model: 'a',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'user', content: 5 },
        ],
      },
      'invalid_request',
      'messages[1].content',
    ],
    [
      'max_tokens is a string',
      { model: 'a', messages: [{ role: 'user', content: 'x' }], max_tokens: '100' },
      'invalid_request',
      "'max_tokens'",
    ],
    [
      'max_completion_tokens is negative',
      { model: 'a', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: -1 },
      'invalid_request',
      "'max_completion_tokens'",
    ],
  ])('%s → %s naming %s', (_label, body, code, field) => {
    let caught: unknown;
    try {
      api.parse(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect((caught as InvalidRequestError).code).toBe(code);
    expect((caught as InvalidRequestError).message).toContain(field);
  });
});

describe('chat completions: system prompt', () => {
  it.each<[string, unknown[], 'replace' | 'insert', unknown[]]>([
    [
      'no system message: prepended',
      [{ role: 'user', content: 'hi' }],
      'insert',
      [
        { role: 'system', content: 'P' },
        { role: 'user', content: 'hi' },
      ],
    ],
    ['replace', [{ role: 'system', content: 'old' }], 'replace', [{ role: 'system', content: 'P' }]],
    [
      'insert before',
      [{ role: 'system', content: 'old' }],
      'insert',
      [{ role: 'system', content: 'P\n\nold' }],
    ],
    [
      'a developer message is the system slot',
      [{ role: 'developer', content: 'old' }],
      'insert',
      [{ role: 'developer', content: 'P\n\nold' }],
    ],
    [
      'insert before text parts',
      [{ role: 'system', content: [{ type: 'text', text: 'old' }] }],
      'insert',
      [
        {
          role: 'system',
          content: [
            { type: 'text', text: 'P' },
            { type: 'text', text: 'old' },
          ],
        },
      ],
    ],
    [
      'a later system message is not the slot',
      [
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'late' },
      ],
      'replace',
      [
        { role: 'system', content: 'P' },
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'late' },
      ],
    ],
  ])('%s', (_label, messages, mode, expected) => {
    const original = structuredClone(messages);
    const body: Record<string, unknown> = { model: 'auto', messages };
    api.applySystemPrompt(body, 'P', mode);
    expect(body.messages).toEqual(expected);
    expect(messages).toEqual(original);
  });
});

describe('chat completions: reasoning', () => {
  it.each<[string, Record<string, unknown>, Parameters<typeof api.applyReasoning>, Record<string, unknown>]>([
    [
      'chat template switch on, merged into existing kwargs',
      { chat_template_kwargs: { foo: 1 } },
      [{}, { type: 'chat_template_kwargs', parameter: 'enable_thinking' }, true, undefined],
      { chat_template_kwargs: { foo: 1, enable_thinking: true } },
    ],
    [
      'chat template switch off',
      {},
      [{}, { type: 'chat_template_kwargs', parameter: 'thinking' }, false, undefined],
      { chat_template_kwargs: { thinking: false } },
    ],
    [
      'effort given',
      {},
      [{}, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, 'high'],
      { reasoning_effort: 'high' },
    ],
    [
      'effort defaults to medium',
      {},
      [{}, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, undefined],
      { reasoning_effort: 'medium' },
    ],
    [
      'no reasoning: no effort written',
      {},
      [{}, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, false, 'high'],
      {},
    ],
  ])('%s', (_label, body, [, family, use, effort], expected) => {
    api.applyReasoning(body, family, use, effort);
    expect(body).toEqual(expected);
  });
});
