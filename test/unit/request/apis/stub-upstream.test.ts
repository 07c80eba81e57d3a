// The stub upstream (src/stub/openai-stub.ts) answers every API in its own shape, JSON and SSE, echoing pool and
// model, so end-to-end tests can route Responses and Anthropic traffic through Envoy to it.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStubServer } from '../../../../src/stub/openai-stub.ts';
import { parseSse } from './sse.ts';

const server = createStubServer({ pool: 'l4-pool' });
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-selected-pool': 'l4-pool' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const RESPONSES_BODY = { model: 'Qwen/Qwen3-8B', instructions: 'Be brief.', input: 'What is 2+2?' };
const MESSAGES_BODY = {
  model: 'Qwen/Qwen3-8B',
  max_tokens: 64,
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'What is 2+2?' }],
};
const ANSWER = '[l4-pool] Qwen/Qwen3-8B answered: What is 2+2?';

describe('stub upstream', () => {
  it('answers /v1/responses with a response object', async () => {
    const res = await post('/v1/responses', RESPONSES_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-stub-pool')).toBe('l4-pool');
    expect(res.headers.get('x-stub-model')).toBe('Qwen/Qwen3-8B');
    expect(res.headers.get('x-stub-selected-pool')).toBe('l4-pool');
    const body = (await res.json()) as {
      output: { content: { text: string }[] }[];
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'Qwen/Qwen3-8B' });
    expect(body.output[0]?.content[0]?.text).toBe(ANSWER);
    // Prompt tokens ≈ characters / 4 of what the model reads (instructions + input: 21 characters).
    expect(body.usage.input_tokens).toBe(6);
    expect(body.usage.output_tokens).toBe(ANSWER.split(' ').length);
  });

  it('streams /v1/responses as Responses events', async () => {
    const res = await post('/v1/responses', { ...RESPONSES_BODY, stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const frames = parseSse(await res.text());
    expect(frames[0]?.event).toBe('response.created');
    expect(frames.at(-1)?.event).toBe('response.completed');
    const text = frames
      .filter((f) => f.event === 'response.output_text.delta')
      .map((f) => JSON.parse(f.data).delta)
      .join('');
    expect(text).toBe(ANSWER);
  });

  it('answers /v1/messages with an Anthropic message', async () => {
    const res = await post('/v1/messages', MESSAGES_BODY);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-stub-pool')).toBe('l4-pool');
    expect(await res.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'Qwen/Qwen3-8B',
      content: [{ type: 'text', text: ANSWER }],
      stop_reason: 'end_turn',
    });
  });

  it('streams /v1/messages as Anthropic events', async () => {
    const res = await post('/v1/messages', { ...MESSAGES_BODY, stream: true });
    const frames = parseSse(await res.text());
    expect(frames[0]?.event).toBe('message_start');
    expect(frames.at(-1)?.event).toBe('message_stop');
    const text = frames
      .filter((f) => f.event === 'content_block_delta')
      .map((f) => JSON.parse(f.data).delta.text)
      .join('');
    expect(text).toBe(ANSWER);
  });

  it.each([
    [
      '/v1/responses',
      '{oops',
      (b: Record<string, unknown>) => expect(b).toHaveProperty('error.code', 'invalid_json'),
    ],
    [
      '/v1/messages',
      { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      (b: Record<string, unknown>) =>
        expect(b).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } }),
    ],
  ])('a bad %s request is a 400 in that API’s error shape', async (path, body, check) => {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    check((await res.json()) as Record<string, unknown>);
  });

  it('still answers chat completions', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe('[l4-pool] m answered: hi');
  });
});
