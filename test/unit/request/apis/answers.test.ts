// The router's own answers in every API's shape: errors (body, status, stable-code header, response path), canned
// answers as JSON and as each API's SSE sequence, and the model listings; plus the adapter registry.
import { describe, expect, it } from 'vitest';
import { HEADER } from '../../../../src/headers.ts';
import { apiForPath, LLM_APIS, ROUTER_ERROR_CODE_HEADER } from '../../../../src/request/apis/index.ts';
import type { ErrorAnswer, LlmApi } from '../../../../src/request/apis/types.ts';
import { errorResponse, fastChatCompletion, modelsListAnswer } from '../../../../src/responses.ts';
import { bodyText, header, headersNamed, parseSse } from './sse.ts';

const APIS: readonly LlmApi[] = ['chat_completions', 'completions', 'responses', 'messages'];
const adapter = (api: LlmApi) => {
  const found = LLM_APIS.get(api);
  if (!found) throw new Error(`no adapter ${api}`);
  return found;
};

const MESSAGE = 'Routing is closed for maintenance — please retry in a few minutes. Merci! 你好 🚀';

describe('registry', () => {
  it('lists one adapter per API, each under its own name', () => {
    expect([...LLM_APIS.keys()]).toEqual(APIS);
    for (const [api, a] of LLM_APIS) expect(a.api).toBe(api);
  });

  it.each([
    ['/v1/chat/completions', 'chat_completions'],
    ['/v1/completions?x=1', 'completions'],
    ['/v1/responses/', 'responses'],
    ['/v1/messages', 'messages'],
    ['/v1/messages/count_tokens', undefined],
    ['/v1/models', undefined],
  ])('%s → %s', (path, api) => {
    expect(apiForPath(path)).toBe(api);
  });
});

describe('errorAnswer', () => {
  const error = (
    httpStatus: number | undefined,
    code: string,
    errorType = 'invalid_request_error',
  ): ErrorAnswer => ({
    httpStatus,
    code,
    errorType,
    message: `${code} happened`,
  });

  it.each(['chat_completions', 'completions', 'responses'] as const)('%s: OpenAI error shape', (api) => {
    const result = adapter(api).errorAnswer(error(400, 'invalid_json'), [['x-extra', '1']]);
    expect(result.status).toBe(400);
    expect(JSON.parse(bodyText(result))).toEqual({
      error: {
        message: 'invalid_json happened',
        type: 'invalid_request_error',
        code: 'invalid_json',
        param: null,
      },
    });
    expect(header(result, HEADER.contentType)).toBe('application/json');
    expect(header(result, ROUTER_ERROR_CODE_HEADER)).toBe('invalid_json');
    expect(header(result, HEADER.routerResponsePath)).toBe('error');
    expect(header(result, 'x-extra')).toBe('1');
    expect(result.details).toBe('semantic_router_invalid_json');
  });

  it.each<[number | undefined, string]>([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [405, 'invalid_request_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [431, 'invalid_request_error'],
    [500, 'api_error'],
    [503, 'overloaded_error'],
    [502, 'api_error'],
    [undefined, 'api_error'],
  ])('messages: status %s → Anthropic error type %s', (status, type) => {
    const result = adapter('messages').errorAnswer(error(status, 'some_code'));
    expect(result.status).toBe(status ?? 500);
    expect(JSON.parse(bodyText(result))).toEqual({
      type: 'error',
      error: { type, message: 'some_code happened' },
    });
    expect(header(result, ROUTER_ERROR_CODE_HEADER)).toBe('some_code');
    expect(header(result, HEADER.contentType)).toBe('application/json');
    expect(result.details).toBe('semantic_router_some_code');
  });

  it.each(APIS)('%s: a policy block is response path blocked; the caller’s path wins, once', (api) => {
    const blocked = adapter(api).errorAnswer(error(403, 'blocked_by_policy', 'permission_error'));
    expect(headersNamed(blocked, HEADER.routerResponsePath)).toEqual(['blocked']);
    const withDiagnostics = adapter(api).errorAnswer(error(429, 'blocked_by_policy'), [
      [HEADER.routerResponsePath, 'blocked'],
      [HEADER.routerDecision, 'jailbreak'],
    ]);
    expect(headersNamed(withDiagnostics, HEADER.routerResponsePath)).toEqual(['blocked']);
    expect(header(withDiagnostics, HEADER.routerDecision)).toBe('jailbreak');
    const notFound = adapter(api).errorAnswer(error(404, 'model_not_found'));
    expect(headersNamed(notFound, HEADER.routerResponsePath)).toEqual(['error']);
  });

  it('errorResponse (kept for existing callers) is the OpenAI shape', () => {
    const result = errorResponse(error(503, 'no_pool_available', 'server_error'));
    expect(result.status).toBe(503);
    expect(JSON.parse(bodyText(result)).error).toMatchObject({
      code: 'no_pool_available',
      type: 'server_error',
    });
    expect(header(result, ROUTER_ERROR_CODE_HEADER)).toBe('no_pool_available');
  });
});

describe('fastAnswer as JSON', () => {
  const extra = [[HEADER.routerResponsePath, 'fast_response']] as const;

  it.each<[LlmApi, (body: Record<string, unknown>) => void]>([
    [
      'chat_completions',
      (body) => {
        expect(body).toMatchObject({
          object: 'chat.completion',
          model: 'small',
          choices: [{ index: 0, message: { role: 'assistant', content: MESSAGE }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        });
        expect(body.id).toMatch(/^chatcmpl-/);
      },
    ],
    [
      'completions',
      (body) => {
        expect(body).toMatchObject({
          object: 'text_completion',
          model: 'small',
          choices: [{ index: 0, text: MESSAGE, logprobs: null, finish_reason: 'stop' }],
        });
        expect(body.id).toMatch(/^cmpl-/);
      },
    ],
    [
      'responses',
      (body) => {
        expect(body).toMatchObject({
          object: 'response',
          status: 'completed',
          model: 'small',
          error: null,
          output: [
            {
              type: 'message',
              status: 'completed',
              role: 'assistant',
              content: [{ type: 'output_text', text: MESSAGE, annotations: [] }],
            },
          ],
          usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
        });
        expect(body.id).toMatch(/^resp_/);
        expect(typeof body.created_at).toBe('number');
      },
    ],
    [
      'messages',
      (body) => {
        expect(body).toEqual({
          id: expect.stringMatching(/^msg_/),
          type: 'message',
          role: 'assistant',
          model: 'small',
          content: [{ type: 'text', text: MESSAGE }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        });
      },
    ],
  ])('%s', (api, check) => {
    const result = adapter(api).fastAnswer('small', MESSAGE, false, extra);
    expect(result.status).toBe(200);
    expect(header(result, HEADER.contentType)).toBe('application/json');
    expect(header(result, HEADER.routerResponsePath)).toBe('fast_response');
    expect(result.details).toBe('semantic_router_fast_response');
    check(JSON.parse(bodyText(result)));
  });

  it('fastChatCompletion (kept for existing callers) is the chat adapter’s answer', () => {
    const body = JSON.parse(bodyText(fastChatCompletion('m', 'hi', false, [])));
    expect(body.choices[0].message.content).toBe('hi');
  });
});

describe('fastAnswer as SSE', () => {
  function streamed(api: LlmApi, message = MESSAGE) {
    const result = adapter(api).fastAnswer('small', message, true, [
      [HEADER.routerResponsePath, 'fast_response'],
    ]);
    expect(result.status).toBe(200);
    expect(header(result, HEADER.contentType)).toBe('text/event-stream');
    expect(header(result, HEADER.routerResponsePath)).toBe('fast_response');
    return parseSse(bodyText(result));
  }

  it.each(['chat_completions', 'completions'] as const)('%s: data-only chunks ending in [DONE]', (api) => {
    const frames = streamed(api);
    expect(frames.every((f) => f.event === undefined)).toBe(true);
    expect(frames.at(-1)?.data).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.data));
    const object = api === 'chat_completions' ? 'chat.completion.chunk' : 'text_completion';
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set([object]));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const text = chunks
      .map((c) => (api === 'chat_completions' ? (c.choices[0].delta.content ?? '') : c.choices[0].text))
      .join('');
    expect(text).toBe(MESSAGE);
    // More than one content delta, plus the closing chunk (and chat's opening role chunk).
    expect(chunks.length).toBeGreaterThan(api === 'chat_completions' ? 3 : 2);
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([
      ...Array(chunks.length - 1).fill(null),
      'stop',
    ]);
    if (api === 'chat_completions') expect(chunks[0].choices[0].delta.role).toBe('assistant');
  });

  it('responses: the event sequence OpenAI streams, numbered, deltas adding up to the message', () => {
    const frames = streamed('responses');
    const events = frames.map((f) => ({ event: f.event, data: JSON.parse(f.data) }));
    for (const { event, data } of events) expect(data.type).toBe(event);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const names = events.map((e) => e.event);
    const deltas = names.filter((n) => n === 'response.output_text.delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(names).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = events[0]?.data.response;
    const completed = events.at(-1)?.data.response;
    expect(created).toMatchObject({ object: 'response', status: 'in_progress', output: [] });
    expect(completed).toMatchObject({ id: created.id, status: 'completed' });
    expect(completed.output[0].content[0].text).toBe(MESSAGE);
    const text = events
      .filter((e) => e.event === 'response.output_text.delta')
      .map((e) => e.data.delta)
      .join('');
    expect(text).toBe(MESSAGE);
    const itemId = events[2]?.data.item.id;
    for (const e of events.slice(3, -1)) expect(e.data.item_id ?? e.data.item?.id).toBe(itemId);
    expect(events.find((e) => e.event === 'response.output_text.done')?.data.text).toBe(MESSAGE);
  });

  it('messages: the event sequence Anthropic streams, deltas adding up to the message', () => {
    const frames = streamed('messages');
    const events = frames.map((f) => ({ event: f.event, data: JSON.parse(f.data) }));
    for (const { event, data } of events) expect(data.type).toBe(event);
    const names = events.map((e) => e.event);
    const deltas = names.filter((n) => n === 'content_block_delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      ...Array(deltas).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]?.data.message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'small',
      content: [],
      stop_reason: null,
    });
    expect(events[1]?.data).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    const blockDeltas = events.filter((e) => e.event === 'content_block_delta').map((e) => e.data);
    expect(blockDeltas.every((d) => d.index === 0 && d.delta.type === 'text_delta')).toBe(true);
    expect(blockDeltas.map((d) => d.delta.text).join('')).toBe(MESSAGE);
    expect(events.at(-2)?.data.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
  });

  it.each(APIS)('%s: a one-word message streams as one delta', (api) => {
    expect(() => streamed(api, 'OK')).not.toThrow();
  });
});

describe('modelsListAnswer', () => {
  const models = [
    { id: 'auto', ownedBy: 'semantic-router', apis: APIS },
    { id: 'small-chat', ownedBy: 'semantic-router', apis: ['chat_completions', 'completions'] as const },
    { id: 'claude-like', ownedBy: 'semantic-router', apis: ['messages'] as const },
  ];

  it('OpenAI flavour: every model with its supported APIs', () => {
    const result = modelsListAnswer(models, 'openai');
    expect(result.status).toBe(200);
    expect(JSON.parse(bodyText(result))).toEqual({
      object: 'list',
      data: [
        { id: 'auto', object: 'model', created: 0, owned_by: 'semantic-router', supported_apis: [...APIS] },
        {
          id: 'small-chat',
          object: 'model',
          created: 0,
          owned_by: 'semantic-router',
          supported_apis: ['chat_completions', 'completions'],
        },
        {
          id: 'claude-like',
          object: 'model',
          created: 0,
          owned_by: 'semantic-router',
          supported_apis: ['messages'],
        },
      ],
    });
  });

  it('Anthropic flavour: only models that speak the Messages API, as one page', () => {
    const body = JSON.parse(bodyText(modelsListAnswer(models, 'anthropic')));
    expect(body).toEqual({
      data: [
        { type: 'model', id: 'auto', display_name: 'auto', created_at: '1970-01-01T00:00:00Z' },
        { type: 'model', id: 'claude-like', display_name: 'claude-like', created_at: '1970-01-01T00:00:00Z' },
      ],
      has_more: false,
      first_id: 'auto',
      last_id: 'claude-like',
    });
    expect(JSON.parse(bodyText(modelsListAnswer([], 'anthropic')))).toEqual({
      data: [],
      has_more: false,
      first_id: null,
      last_id: null,
    });
  });
});
