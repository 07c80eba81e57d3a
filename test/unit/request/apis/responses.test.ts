// Responses API adapter: string and item-list inputs (OpenAI API reference examples) → messages and tool text;
// malformed input → InvalidRequestError naming the field; `instructions` and `reasoning` patches.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/errors.ts';
import { responsesApi as api } from '../../../../src/request/apis/responses.ts';
import type { ChatMessage } from '../../../../src/request/apis/types.ts';

const m = (role: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  role,
  text,
  imageCount: 0,
  toolCallCount: 0,
  toolText: '',
  ...extra,
});

describe('responses: parse', () => {
  it.each<[string, Record<string, unknown>, ChatMessage[]]>([
    [
      'a string input',
      { input: 'Tell me a three sentence bedtime story about a unicorn.' },
      [m('user', 'Tell me a three sentence bedtime story about a unicorn.')],
    ],
    [
      'instructions come first as the system prompt',
      { instructions: 'Talk like a pirate.', input: 'Are semicolons optional in JavaScript?' },
      [m('system', 'Talk like a pirate.'), m('user', 'Are semicolons optional in JavaScript?')],
    ],
    [
      'message items: developer and system prompts keep their role, in place',
      {
        input: [
          { role: 'developer', content: 'Talk like a pirate.' },
          { role: 'user', content: 'Hi' },
          { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }] },
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Ahoy!', annotations: [] }],
          },
        ],
      },
      [
        m('developer', 'Talk like a pirate.'),
        m('user', 'Hi'),
        m('system', 'Be brief.'),
        m('assistant', 'Ahoy!'),
      ],
    ],
    [
      'image and file inputs',
      {
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'what is in this image?' },
              { type: 'input_image', image_url: 'https://example.com/nature.jpg' },
              { type: 'input_file', file_id: 'file-abc' },
              { type: 'input_text', text: 'and this one?' },
              { type: 'input_image', file_id: 'file-def', detail: 'high' },
            ],
          },
        ],
      },
      [m('user', 'what is in this image?\nand this one?', { imageCount: 2 })],
    ],
    [
      'function calls join the assistant turn before them; outputs are tool messages',
      {
        input: [
          { role: 'user', content: 'Weather in Paris and Bogotá?' },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
          { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"location":"Paris"}' },
          { type: 'function_call', call_id: 'c2', name: 'get_weather', arguments: '{"location":"Bogotá"}' },
          { type: 'function_call_output', call_id: 'c1', output: '14°C' },
          {
            type: 'function_call_output',
            call_id: 'c2',
            output: [
              { type: 'input_text', text: '24°C' },
              { type: 'input_image', image_url: 'https://example.com/map.png' },
            ],
          },
        ],
      },
      [
        m('user', 'Weather in Paris and Bogotá?'),
        m('assistant', 'Checking.', {
          toolCallCount: 2,
          toolText: 'get_weather {"location":"Paris"}\nget_weather {"location":"Bogotá"}',
        }),
        m('tool', '14°C'),
        m('tool', '24°C', { imageCount: 1 }),
      ],
    ],
    [
      'a function call with no assistant text before it starts an assistant turn; custom tools too',
      {
        input: [
          { role: 'user', content: 'Run it' },
          { type: 'custom_tool_call', call_id: 'c1', name: 'code_exec', input: 'print(1)' },
          { type: 'custom_tool_call_output', call_id: 'c1', output: '1' },
        ],
      },
      [
        m('user', 'Run it'),
        m('assistant', '', { toolCallCount: 1, toolText: 'code_exec print(1)' }),
        m('tool', '1'),
      ],
    ],
    [
      'unknown item types are ignored',
      {
        input: [
          { type: 'item_reference', id: 'msg_1' },
          { type: 'web_search_call', id: 'ws_1', status: 'completed' },
          { role: 'user', content: 'ok' },
        ],
      },
      [m('user', 'ok')],
    ],
    [
      'a stored prompt template without input',
      { prompt: { id: 'pmpt_123', variables: { city: 'Paris' } } },
      [],
    ],
  ])('%s', (_label, body, messages) => {
    const request = api.parse({ model: 'auto', ...body });
    expect(request.messages).toEqual(messages);
    expect(request.api).toBe('responses');
  });

  it('function tools and built-in tools are counted; function tools give their text', () => {
    const parameters = {
      type: 'object',
      properties: { location: { type: 'string' } },
      required: ['location'],
    };
    const request = api.parse({
      model: 'auto',
      input: 'x',
      tools: [
        { type: 'function', name: 'get_weather', description: 'Get current temperature.', parameters },
        { type: 'web_search' },
        { type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.com/mcp' },
      ],
      max_output_tokens: 300,
      stream: true,
      metadata: { team: 'x' },
    });
    expect(request.toolCount).toBe(3);
    expect(request.toolText).toBe(
      ['get_weather', 'Get current temperature.', JSON.stringify(parameters), 'web_search', 'deepwiki'].join(
        '\n',
      ),
    );
    expect(request).toMatchObject({ maxOutputTokens: 300, stream: true, metadata: { team: 'x' } });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['no model', { input: 'x' }, 'missing_model', "'model'"],
    ['no input', { model: 'a' }, 'missing_messages', "'input'"],
    ['input is a number', { model: 'a', input: 3 }, 'missing_messages', "'input'"],
    ['an item is a string', { model: 'a', input: ['hi'] }, 'invalid_request', 'input[0]'],
    ['a message without role', { model: 'a', input: [{ content: 'hi' }] }, 'invalid_request', 'input[0]'],
    [
      'message content is a number',
      {
        model: 'a',
        input: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 1 },
        ],
      },
      'invalid_request',
      'input[1].content',
    ],
    [
      'function output is an object',
      { model: 'a', input: [{ type: 'function_call_output', call_id: 'c', output: { a: 1 } }] },
      'invalid_request',
      'input[0].output',
    ],
    [
      'instructions is an array',
      { model: 'a', input: 'x', instructions: ['x'] },
      'invalid_request',
      "'instructions'",
    ],
    [
      'max_output_tokens is a string',
      { model: 'a', input: 'x', max_output_tokens: '9' },
      'invalid_request',
      "'max_output_tokens'",
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

describe('responses: patches', () => {
  it.each<[string, Record<string, unknown>, 'replace' | 'insert', unknown]>([
    ['no instructions', {}, 'insert', 'P'],
    ['replace', { instructions: 'old' }, 'replace', 'P'],
    ['insert before', { instructions: 'old' }, 'insert', 'P\n\nold'],
    ['null instructions', { instructions: null }, 'insert', 'P'],
  ])('system prompt goes to instructions: %s', (_label, fields, mode, expected) => {
    const body: Record<string, unknown> = { model: 'a', input: 'x', ...fields };
    api.applySystemPrompt(body, 'P', mode);
    expect(body.instructions).toEqual(expected);
    expect(body.input).toBe('x');
  });

  it('an effort family writes reasoning.effort, keeping the other reasoning fields', () => {
    const reasoning = { summary: 'auto' };
    const body: Record<string, unknown> = { reasoning };
    api.applyReasoning(body, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, 'high');
    expect(body).toEqual({ reasoning: { summary: 'auto', effort: 'high' } });
    expect(reasoning).toEqual({ summary: 'auto' });
    const plain: Record<string, unknown> = {};
    api.applyReasoning(plain, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, undefined);
    expect(plain).toEqual({ reasoning: { effort: 'medium' } });
    const off: Record<string, unknown> = {};
    api.applyReasoning(off, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, false, 'high');
    expect(off).toEqual({});
  });

  it('a chat-template family writes chat_template_kwargs (vLLM extension)', () => {
    const body: Record<string, unknown> = {};
    api.applyReasoning(body, { type: 'chat_template_kwargs', parameter: 'enable_thinking' }, true, undefined);
    expect(body).toEqual({ chat_template_kwargs: { enable_thinking: true } });
  });
});
