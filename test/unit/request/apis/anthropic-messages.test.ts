// Anthropic Messages adapter: requests after the Anthropic API reference (system, images, documents, tool use and
// results) → messages and tool text; malformed input → InvalidRequestError naming the field; system and reasoning.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/errors.ts';
import { anthropicMessagesApi as api } from '../../../../src/request/apis/anthropic-messages.ts';
import type { ChatMessage } from '../../../../src/request/apis/types.ts';

const m = (role: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  role,
  text,
  imageCount: 0,
  toolCallCount: 0,
  toolText: '',
  ...extra,
});

const base = { model: 'auto', max_tokens: 1024 };

describe('anthropic messages: parse', () => {
  it.each<[string, Record<string, unknown>, ChatMessage[]]>([
    [
      'string system and multi-turn',
      {
        system: 'You are a world-class poet.',
        messages: [
          { role: 'user', content: 'Hello there.' },
          { role: 'assistant', content: "Hi, I'm Claude. How can I help you?" },
          { role: 'user', content: 'Can you explain LLMs in plain English?' },
        ],
      },
      [
        m('system', 'You are a world-class poet.'),
        m('user', 'Hello there.'),
        m('assistant', "Hi, I'm Claude. How can I help you?"),
        m('user', 'Can you explain LLMs in plain English?'),
      ],
    ],
    [
      'system as text blocks with cache control',
      {
        system: [
          { type: 'text', text: 'You are an AI assistant analysing literary works.' },
          { type: 'text', text: '<the entire book>', cache_control: { type: 'ephemeral' } },
        ],
        messages: [{ role: 'user', content: 'Analyse the major themes.' }],
      },
      [
        m('system', 'You are an AI assistant analysing literary works.\n<the entire book>'),
        m('user', 'Analyse the major themes.'),
      ],
    ],
    [
      'images and documents',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
              {
                type: 'document',
                source: { type: 'text', media_type: 'text/plain', data: 'The grass is green.' },
              },
              {
                type: 'document',
                source: { type: 'content', content: [{ type: 'text', text: 'The sky is blue.' }] },
              },
              {
                type: 'document',
                source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0' },
              },
              { type: 'text', text: 'Compare these.' },
            ],
          },
        ],
      },
      [m('user', 'The grass is green.\nThe sky is blue.\nCompare these.', { imageCount: 2 })],
    ],
    [
      'tool use, then tool results before the user text of the same turn',
      {
        messages: [
          { role: 'user', content: 'What is the weather like in San Francisco?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'I should call the tool.', signature: 'sig' },
              { type: 'text', text: 'I need to use get_weather.' },
              {
                type: 'tool_use',
                id: 'toolu_01',
                name: 'get_weather',
                input: { location: 'San Francisco, CA' },
              },
              { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_01', content: '15 degrees' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_02',
                content: [
                  { type: 'text', text: '10:00' },
                  { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
                ],
              },
              { type: 'text', text: 'Thanks! Should I bring a coat?' },
            ],
          },
        ],
      },
      [
        m('user', 'What is the weather like in San Francisco?'),
        m('assistant', 'I need to use get_weather.', {
          toolCallCount: 2,
          toolText: 'get_weather {"location":"San Francisco, CA"}\nget_time {}',
        }),
        m('tool', '15 degrees'),
        m('tool', '10:00', { imageCount: 1 }),
        m('user', 'Thanks! Should I bring a coat?'),
      ],
    ],
    [
      'a user turn of only tool results adds no empty user message',
      {
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'w', input: { q: 1 } }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't', content: 'sunny', is_error: false }],
          },
        ],
      },
      [
        m('user', 'Weather?'),
        m('assistant', '', { toolCallCount: 1, toolText: 'w {"q":1}' }),
        m('tool', 'sunny'),
      ],
    ],
    [
      "vLLM's extra roles: system messages and Claude Code's ctx",
      {
        messages: [
          { role: 'system', content: 'inline system' },
          { role: 'ctx', content: 'context' },
        ],
      },
      [m('system', 'inline system'), m('user', 'context')],
    ],
  ])('%s', (_label, body, messages) => {
    const request = api.parse({ ...base, ...body });
    expect(request.messages).toEqual(messages);
    expect(request.api).toBe('messages');
  });

  it('tools: names, descriptions and input schemas; server tools counted', () => {
    const inputSchema = {
      type: 'object',
      properties: { location: { type: 'string' } },
      required: ['location'],
    };
    const request = api.parse({
      ...base,
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { name: 'get_weather', description: 'Get the current weather', input_schema: inputSchema },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
      ],
      stream: true,
      metadata: { user_id: 'u-1' },
    });
    expect(request.toolCount).toBe(2);
    expect(request.toolText).toBe(
      ['get_weather', 'Get the current weather', JSON.stringify(inputSchema), 'web_search'].join('\n'),
    );
    expect(request).toMatchObject({ maxOutputTokens: 1024, stream: true, metadata: { user_id: 'u-1' } });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['no model', { max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, 'missing_model', "'model'"],
    ['no messages', { ...base }, 'missing_messages', "'messages'"],
    ['empty messages', { ...base, messages: [] }, 'missing_messages', "'messages'"],
    [
      'no max_tokens',
      { model: 'a', messages: [{ role: 'user', content: 'x' }] },
      'invalid_request',
      "'max_tokens'",
    ],
    [
      'max_tokens zero',
      { model: 'a', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] },
      'invalid_request',
      "'max_tokens'",
    ],
    [
      'max_tokens a string',
      { model: 'a', max_tokens: '5', messages: [{ role: 'user', content: 'x' }] },
      'invalid_request',
      "'max_tokens'",
    ],
    [
      'system a number',
      { ...base, system: 5, messages: [{ role: 'user', content: 'x' }] },
      'invalid_request',
      "'system'",
    ],
    ['a message is null', { ...base, messages: [null] }, 'invalid_request', 'messages[0]'],
    [
      'an unknown role',
      { ...base, messages: [{ role: 'developer', content: 'x' }] },
      'invalid_request',
      'messages[0].role',
    ],
    [
      'content an object',
      { ...base, messages: [{ role: 'user', content: { type: 'text', text: 'x' } }] },
      'invalid_request',
      'messages[0].content',
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

describe('anthropic messages: patches', () => {
  it.each<[string, Record<string, unknown>, 'replace' | 'insert', unknown]>([
    ['no system', {}, 'insert', 'P'],
    ['string, replace', { system: 'old' }, 'replace', 'P'],
    ['string, insert', { system: 'old' }, 'insert', 'P\n\nold'],
    [
      'blocks, insert keeps them (and their cache control) after ours',
      { system: [{ type: 'text', text: 'old', cache_control: { type: 'ephemeral' } }] },
      'insert',
      [
        { type: 'text', text: 'P' },
        { type: 'text', text: 'old', cache_control: { type: 'ephemeral' } },
      ],
    ],
    ['blocks, replace', { system: [{ type: 'text', text: 'old' }] }, 'replace', 'P'],
  ])('system prompt: %s', (_label, fields, mode, expected) => {
    const body: Record<string, unknown> = { ...base, messages: [], ...fields };
    api.applySystemPrompt(body, 'P', mode);
    expect(body.system).toEqual(expected);
  });

  it.each<[string, string | undefined, string]>([
    ['given', 'high', 'high'],
    ['default', undefined, 'medium'],
    ["OpenAI's minimal", 'minimal', 'low'],
    ['unknown', 'extreme', 'medium'],
    ['max', 'max', 'max'],
  ])('an effort family writes output_config.effort (%s)', (_label, effort, expected) => {
    const body: Record<string, unknown> = { output_config: { format: { type: 'json_schema' } } };
    api.applyReasoning(body, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, effort);
    expect(body).toEqual({ output_config: { format: { type: 'json_schema' }, effort: expected } });
  });

  it('no reasoning writes no effort; a chat-template family writes chat_template_kwargs', () => {
    const body: Record<string, unknown> = {};
    api.applyReasoning(body, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, false, 'high');
    expect(body).toEqual({});
    api.applyReasoning(
      body,
      { type: 'chat_template_kwargs', parameter: 'enable_thinking' },
      false,
      undefined,
    );
    expect(body).toEqual({ chat_template_kwargs: { enable_thinking: false } });
  });
});
