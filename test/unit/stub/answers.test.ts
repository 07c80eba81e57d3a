// What the stub answers: each API's shape with realistic usage (include_usage honoured as OpenAI and vLLM do),
// well-formed SSE of several words per delta, answers padded to the configured number of tokens.
import { afterEach, describe, expect, it } from 'vitest';
import {
  API_PATHS,
  closeStubs,
  jsonText,
  jsonUsage,
  requestOf,
  startStub,
  streamedDeltas,
  words,
} from './helpers.ts';
import { jsonData, readSse } from './sse-reader.ts';

afterEach(closeStubs);

const PROMPT = 'Summarise the quarterly report in three bullet points, please.';
const PROMPT_TOKENS = Math.ceil(PROMPT.length / 4);
const ECHO = `[l4-pool] Qwen/Qwen3-8B answered: ${PROMPT}`;

describe('stub answers', () => {
  it.each(API_PATHS)(
    '%s JSON: the echo, and usage in the API’s shape (prompt ≈ characters / 4)',
    async (path) => {
      const stub = await startStub({ pool: 'l4-pool' });
      const res = await stub.post(path, requestOf(path, PROMPT));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-stub-pool')).toBe('l4-pool');
      expect(res.headers.get('x-stub-model')).toBe('Qwen/Qwen3-8B');
      const body = (await res.json()) as Record<string, unknown>;
      expect(jsonText(path, body)).toBe(ECHO);
      expect(jsonUsage(path, body)).toEqual({ prompt: PROMPT_TOKENS, completion: words(ECHO) });
      if (path === '/v1/chat/completions' || path === '/v1/completions' || path === '/v1/responses') {
        const usage = body.usage as Record<string, number>;
        expect(usage.total_tokens).toBe(PROMPT_TOKENS + words(ECHO));
      }
    },
  );

  it('counts system prompts, every message and declared tools in the prompt tokens', async () => {
    const stub = await startStub({ pool: 'l4-pool' });
    const tool = { type: 'function', function: { name: 'lookup', description: 'Look a word up.' } };
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: PROMPT },
    ];
    const res = await stub.post('/v1/chat/completions', { model: 'm', messages, tools: [tool] });
    const chars = messages.reduce((n, m) => n + m.content.length, 0) + 'lookup\nLook a word up.'.length;
    expect(((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(
      Math.ceil(chars / 4),
    );
  });

  it.each(API_PATHS)('%s pads the answer to completionTokens, echo first', async (path) => {
    const stub = await startStub({ pool: 'l4-pool', completionTokens: 120 });
    const body = (await (await stub.post(path, requestOf(path, PROMPT))).json()) as Record<string, unknown>;
    const text = jsonText(path, body);
    expect(text.startsWith(ECHO)).toBe(true);
    expect(words(text)).toBe(120);
    expect(jsonUsage(path, body).completion).toBe(120);
  });

  it('never cuts the echo: fewer completionTokens than the echo has answers the echo', async () => {
    const stub = await startStub({ pool: 'l4-pool', completionTokens: 3 });
    const body = (await (
      await stub.post('/v1/chat/completions', requestOf('/v1/chat/completions', PROMPT))
    ).json()) as Record<string, unknown>;
    expect(jsonText('/v1/chat/completions', body)).toBe(ECHO);
    expect(jsonUsage('/v1/chat/completions', body).completion).toBe(words(ECHO));
  });

  it('x-stub-tokens sets the answer length of one request', async () => {
    const stub = await startStub({ pool: 'l4-pool', completionTokens: 500 });
    const res = await stub.post('/v1/chat/completions', requestOf('/v1/chat/completions', PROMPT), {
      'x-stub-tokens': '40',
    });
    expect(jsonUsage('/v1/chat/completions', (await res.json()) as Record<string, unknown>).completion).toBe(
      40,
    );
  });

  it('a request without a model is answered as the served model', async () => {
    const stub = await startStub({ pool: 'l4-pool', model: 'Qwen/Qwen3-8B' });
    const res = await stub.post('/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] });
    expect(jsonText('/v1/chat/completions', (await res.json()) as Record<string, unknown>)).toBe(
      '[l4-pool] Qwen/Qwen3-8B answered: hi',
    );
  });

  describe('SSE', () => {
    it.each(API_PATHS)(
      '%s streams a 1,000-token answer in well-formed frames of several words each',
      async (path) => {
        const stub = await startStub({ pool: 'l4-pool', completionTokens: 1000 });
        const res = await stub.post(path, requestOf(path, PROMPT, { stream: true }));
        expect(res.headers.get('content-type')).toBe('text/event-stream');
        expect(res.headers.get('x-stub-pool')).toBe('l4-pool');
        const frames = await readSse(res, performance.now());
        const deltas = streamedDeltas(path, frames);
        const text = deltas.join('');
        expect(text.startsWith(ECHO)).toBe(true);
        expect(words(text)).toBe(1000);
        // Several words a delta, as a model streams: far fewer frames than tokens, yet every delta but the last has
        // more than one word.
        expect(deltas.length).toBeLessThan(1000 / 3);
        for (const delta of deltas.slice(0, -1)) expect(words(delta)).toBeGreaterThan(1);
      },
    );

    it.each(['/v1/chat/completions', '/v1/completions'])(
      '%s: no usage without stream_options.include_usage (nor with it false)',
      async (path) => {
        const stub = await startStub({ pool: 'l4-pool' });
        for (const extra of [{ stream: true }, { stream: true, stream_options: { include_usage: false } }]) {
          const frames = await readSse(await stub.post(path, requestOf(path, PROMPT, extra)), 0);
          expect(frames.at(-1)?.data).toBe('[DONE]');
          for (const chunk of jsonData(frames)) {
            expect(chunk).not.toHaveProperty('usage');
            expect((chunk.choices as unknown[]).length).toBe(1);
          }
        }
      },
    );

    it.each(['/v1/chat/completions', '/v1/completions'])(
      '%s: with include_usage a last chunk before [DONE] has choices [] and the usage; the others usage null',
      async (path) => {
        const stub = await startStub({ pool: 'l4-pool', completionTokens: 64 });
        const res = await stub.post(
          path,
          requestOf(path, PROMPT, { stream: true, stream_options: { include_usage: true } }),
        );
        const frames = await readSse(res, 0);
        expect(frames.at(-1)?.data).toBe('[DONE]');
        const chunks = jsonData(frames);
        const last = chunks.at(-1) as Record<string, unknown>;
        expect(last.choices).toEqual([]);
        expect(last.usage).toEqual({
          prompt_tokens: PROMPT_TOKENS,
          completion_tokens: 64,
          total_tokens: PROMPT_TOKENS + 64,
        });
        for (const chunk of chunks.slice(0, -1)) {
          expect(chunk.usage).toBeNull();
          expect((chunk.choices as unknown[]).length).toBe(1);
        }
        // The finish chunk comes before the usage chunk.
        const finish = chunks.at(-2) as { choices: { finish_reason: string }[] };
        expect(finish.choices[0]?.finish_reason).toBe('stop');
      },
    );

    it('Responses: usage only in response.completed', async () => {
      const stub = await startStub({ pool: 'l4-pool', completionTokens: 64 });
      const frames = await readSse(
        await stub.post('/v1/responses', requestOf('/v1/responses', PROMPT, { stream: true })),
        0,
      );
      expect(frames.map((f) => f.event).at(-1)).toBe('response.completed');
      const completed = JSON.parse(frames.at(-1)?.data ?? '{}') as { response: { usage: unknown } };
      expect(completed.response.usage).toMatchObject({
        input_tokens: PROMPT_TOKENS,
        output_tokens: 64,
        total_tokens: PROMPT_TOKENS + 64,
      });
      const created = JSON.parse(frames[0]?.data ?? '{}') as { response: { usage: unknown } };
      expect(created.response.usage).toBeNull();
      for (const frame of frames) expect(JSON.parse(frame.data).type).toBe(frame.event);
    });

    it('Anthropic: input tokens in message_start, output tokens in message_delta', async () => {
      const stub = await startStub({ pool: 'l4-pool', completionTokens: 64 });
      const frames = await readSse(
        await stub.post('/v1/messages', requestOf('/v1/messages', PROMPT, { stream: true })),
        0,
      );
      expect(frames.map((f) => f.event)).toEqual([
        'message_start',
        'content_block_start',
        ...frames.filter((f) => f.event === 'content_block_delta').map(() => 'content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      const start = JSON.parse(frames[0]?.data ?? '{}') as { message: { usage: unknown } };
      expect(start.message.usage).toEqual({ input_tokens: PROMPT_TOKENS, output_tokens: 0 });
      const delta = JSON.parse(frames.at(-2)?.data ?? '{}') as { usage: unknown };
      expect(delta.usage).toEqual({ output_tokens: 64 });
    });
  });
});
