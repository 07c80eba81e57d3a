// The response_cache plugin driven through the StreamProcessor as Envoy drives it: a first request goes upstream
// and its answer is stored; a later one is answered from the cache (JSON or SSE) or goes upstream again.
import { beforeEach, describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import { createRequestRouter, planRoute } from '../../../src/pipeline.ts';
import { PLUGINS as PLUGIN_REGISTRY } from '../../../src/plugins/index.ts';
import type { PluginDefinition } from '../../../src/plugins/plugin.ts';
import { responseCacheConfigSchema } from '../../../src/plugins/response-cache/cache-config.ts';
import { createResponseCachePlugin } from '../../../src/plugins/response-cache/response-cache-plugin.ts';
import {
  RESPONSE_CACHE,
  ResponseCacheRegistry,
} from '../../../src/plugins/response-cache/response-cache-registry.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { RouteRecord } from '../../../src/telemetry/route-record.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { chatAnswer, chatStream, compilePlugins, parseOpenAiStream } from '../../helpers/response-plugins.ts';

const PLUGINS = await PLUGIN_REGISTRY.loadAll();

type Body = Record<string, unknown>;

function processorFor(policy: Policy): StreamProcessor {
  return new StreamProcessor(createRequestRouter(policy), {
    maxBodyBytes: 1024 * 1024,
    failOpen: false,
    onUnexpectedError: (error) => {
      throw error;
    },
    onPluginError: (error) => {
      throw error;
    },
  });
}

function chat(text: string, extra: Body = {}): Body {
  return { model: 'auto', messages: [{ role: 'user', content: text }], ...extra };
}

async function send(
  policy: Policy,
  body: Body,
  headers: Record<string, string> = {},
): Promise<{ processor: StreamProcessor; result: PhaseResult }> {
  const processor = processorFor(policy);
  processor.onRequestHeaders(
    new Map([[':method', 'POST'], [':path', '/v1/chat/completions'], ...Object.entries(headers)]),
    false,
  );
  const result = await processor.onRequestBody(Buffer.from(JSON.stringify(body)), true);
  return { processor, result };
}

/** The upstream answers with `content` (JSON, or an SSE stream when the request streams). */
async function answerUpstream(
  processor: StreamProcessor,
  content: string,
  options: { stream?: boolean; status?: number; cutShort?: boolean } = {},
): Promise<void> {
  const contentType = options.stream ? 'text/event-stream' : 'application/json';
  await processor.onResponseHeaders(
    new Map([
      [':status', String(options.status ?? 200)],
      ['content-type', contentType],
    ]),
  );
  const chunks = options.stream ? chatStream(content) : [chatAnswer(content).toString('utf8')];
  const sent = options.cutShort ? chunks.slice(0, Math.max(1, chunks.length - 2)) : chunks;
  for (let i = 0; i < sent.length; i++) {
    await processor.onResponseBody(
      Buffer.from(sent[i] as string),
      !options.cutShort && i === sent.length - 1,
    );
  }
  processor.release();
}

function headerOf(result: PhaseResult, name: string): string | undefined {
  const headers = result.kind === 'immediate' ? result.headers : (result.setHeaders ?? []);
  return headers.find(([n]) => n === name)?.[1];
}

function isCached(result: PhaseResult): boolean {
  return result.kind === 'immediate' && headerOf(result, 'x-router-response-path') === 'cache';
}

function contentOf(result: PhaseResult): string {
  if (result.kind !== 'immediate') throw new Error('not answered locally');
  const body = JSON.parse(Buffer.from(result.body).toString('utf8')) as {
    choices: { message: { content: string } }[];
  };
  return body.choices[0]?.message.content ?? '';
}

async function cachePolicy(configuration: Body = {}): Promise<Policy> {
  return compilePlugins([{ type: 'response_cache', configuration: { scope: 'global', ...configuration } }]);
}

/** Stores `answer` for `body` through one full exchange. */
async function prime(policy: Policy, body: Body, answer: string, headers: Record<string, string> = {}) {
  const { processor, result } = await send(policy, body, headers);
  expect(result.kind).toBe('continue');
  await answerUpstream(processor, answer, { stream: body.stream === true });
}

beforeEach(() => {
  RESPONSE_CACHE.flush();
});

describe('response_cache', () => {
  it('answers an identical request from the cache as JSON, with the age and the response path', async () => {
    const policy = await cachePolicy();
    await prime(policy, chat('What is the capital of France?'), 'Paris is the capital of France.');
    const { result } = await send(policy, chat('What is the capital of France?'));
    expect(isCached(result)).toBe(true);
    expect(headerOf(result, 'age')).toMatch(/^\d+$/);
    expect(headerOf(result, 'x-router-cache')).toBe('exact');
    expect(contentOf(result)).toBe('Paris is the capital of France.');
  });

  it('replays a stored answer as an SSE stream an OpenAI client parses: JSON frames, [DONE] last', async () => {
    const policy = await cachePolicy();
    const answer =
      'A long answer, streamed in many small pieces so that the replay must split it into deltas again.';
    await prime(policy, chat('Explain streaming', { stream: true }), answer);
    const { result } = await send(policy, chat('Explain streaming', { stream: true }));
    expect(isCached(result)).toBe(true);
    if (result.kind !== 'immediate') throw new Error('not answered locally');
    expect(headerOf(result, 'content-type')).toBe('text/event-stream');
    const frames = parseOpenAiStream(Buffer.from(result.body).toString('utf8'));
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames.slice(0, -1) as {
      object: string;
      choices: { delta: { content?: string }; finish_reason: string | null }[];
      usage?: unknown;
    }[];
    for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    expect(chunks.map((c) => c.choices.map((choice) => choice.delta.content ?? '').join('')).join('')).toBe(
      answer,
    );
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    // Without stream_options.include_usage every chunk carries its one choice, as OpenAI streams it.
    for (const chunk of chunks) expect(chunk.choices).toHaveLength(1);
  });

  it('replays the stored usage in a last chunk when the client asks for it (stream_options.include_usage)', async () => {
    const policy = await cachePolicy();
    await prime(policy, chat('Count to three'), 'One, two, three.');
    const streamed = chat('Count to three', { stream: true, stream_options: { include_usage: true } });
    const { result } = await send(policy, streamed);
    if (result.kind !== 'immediate') throw new Error('not answered locally');
    const frames = parseOpenAiStream(Buffer.from(result.body).toString('utf8'));
    expect(frames.at(-1)).toBe('[DONE]');
    expect(frames.at(-2)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
    });
  });

  it('serves a JSON request from an answer that was streamed', async () => {
    const policy = await cachePolicy();
    await prime(policy, chat('Name a prime number', { stream: true }), 'Seven is prime.');
    const { result } = await send(policy, chat('Name a prime number'));
    expect(contentOf(result)).toBe('Seven is prime.');
  });

  it.each([
    [
      'system prompt',
      chat('Summarise the news'),
      {
        model: 'auto',
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: 'Summarise the news' },
        ],
      },
    ],
    [
      'tools',
      chat('Summarise the news'),
      chat('Summarise the news', {
        tools: [{ type: 'function', function: { name: 'search', parameters: {} } }],
      }),
    ],
    [
      'tool choice',
      chat('Summarise the news', { tool_choice: 'auto' }),
      chat('Summarise the news', { tool_choice: 'none' }),
    ],
    [
      'temperature',
      chat('Summarise the news', { temperature: 0 }),
      chat('Summarise the news', { temperature: 1.2 }),
    ],
    [
      'response format',
      chat('Summarise the news'),
      chat('Summarise the news', { response_format: { type: 'json_object' } }),
    ],
    ['model', chat('Summarise the news'), chat('Summarise the news', { model: 'small' })],
  ])('never serves a request with a different %s', async (_, first, second) => {
    const policy = await cachePolicy();
    await prime(policy, first, 'the first answer');
    const { result } = await send(policy, second);
    expect(result.kind).toBe('continue');
    // and the first request is still served (the key really was stored)
    expect(isCached((await send(policy, first)).result)).toBe(true);
  });

  it('keeps tenants apart with scope tenant, and does not cache a request without the tenant header', async () => {
    const policy = await cachePolicy({ scope: 'tenant', scope_headers: { tenant: 'x-team' } });
    await prime(policy, chat('What is our budget?'), 'Acme budget: 1M', { 'x-team': 'acme' });
    expect(isCached((await send(policy, chat('What is our budget?'), { 'x-team': 'acme' })).result)).toBe(
      true,
    );
    expect((await send(policy, chat('What is our budget?'), { 'x-team': 'globex' })).result.kind).toBe(
      'continue',
    );
    await prime(policy, chat('Anonymous question'), 'answer');
    expect((await send(policy, chat('Anonymous question'))).result.kind).toBe('continue');
  });

  it.each<[string, { stream?: boolean; status?: number; cutShort?: boolean }]>([
    ['a 5xx answer', { status: 503 }],
    ['a 4xx answer', { status: 429 }],
    ['a stream cut short', { stream: true, cutShort: true }],
    ['a JSON body cut short', { cutShort: true }],
  ])('never stores %s', async (_, options) => {
    const policy = await cachePolicy();
    const body = chat('Tell me a story', options.stream ? { stream: true } : {});
    const { processor } = await send(policy, body);
    await answerUpstream(
      processor,
      'Once upon a time there was a router that cached everything it saw.',
      options,
    );
    expect((await send(policy, body)).result.kind).toBe('continue');
    expect(RESPONSE_CACHE.snapshot().entries).toBe(0);
  });

  it('never stores a stream the client cancelled', async () => {
    const policy = await cachePolicy();
    const body = chat('Cancel me', { stream: true });
    const { processor } = await send(policy, body);
    await processor.onResponseHeaders(
      new Map([
        [':status', '200'],
        ['content-type', 'text/event-stream'],
      ]),
    );
    const chunks = chatStream('some words before the client goes away');
    await processor.onResponseBody(Buffer.from(chunks[0] as string), false);
    processor.release();
    expect((await send(policy, body)).result.kind).toBe('continue');
  });

  it('honours Cache-Control: no-cache (no lookup, still stores) and no-store (neither)', async () => {
    const policy = await cachePolicy();
    await prime(policy, chat('first question'), 'first answer', { 'cache-control': 'no-store' });
    expect((await send(policy, chat('first question'))).result.kind).toBe('continue');
    await prime(policy, chat('second question'), 'second answer');
    expect((await send(policy, chat('second question'), { 'cache-control': 'no-cache' })).result.kind).toBe(
      'continue',
    );
    await prime(policy, chat('third question'), 'third answer', { 'cache-control': 'no-cache' });
    expect(contentOf((await send(policy, chat('third question'))).result)).toBe('third answer');
  });

  it('caches a conversation with earlier turns only when multi_turn is set', async () => {
    const conversation = {
      model: 'auto',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'What can you do?' },
      ],
    };
    const single = await cachePolicy();
    await prime(single, conversation, 'Many things.');
    expect((await send(single, conversation)).result.kind).toBe('continue');
    const multi = await cachePolicy({ multi_turn: true });
    await prime(multi, conversation, 'Many things.');
    expect(contentOf((await send(multi, conversation)).result)).toBe('Many things.');
  });

  it('keeps the entry count and bytes at their bounds under a flood of unique prompts', async () => {
    const policy = await cachePolicy({ max_entries: 40, max_bytes: 64 * 1024, mode: 'exact' });
    for (let i = 0; i < 300; i++)
      await prime(policy, chat(`unique prompt number ${i}`), `answer ${i} ${'x'.repeat(i * 7)}`);
    const stats = RESPONSE_CACHE.snapshot();
    expect(stats.entries).toBeLessThanOrEqual(40);
    expect(stats.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(stats.evictions).toBeGreaterThan(0);
    // the most recent answers survive, the oldest are gone
    expect(isCached((await send(policy, chat('unique prompt number 299'))).result)).toBe(true);
    expect((await send(policy, chat('unique prompt number 0'))).result.kind).toBe('continue');
  });

  it('serves a paraphrase above the threshold and not an unrelated prompt', async () => {
    const policy = await cachePolicy({ semantic: { similarity_threshold: 0.9 } });
    await prime(policy, chat('How do I reset my password?'), 'Use the reset link.');
    const paraphrase = (await send(policy, chat('how do i reset my password'))).result;
    expect(isCached(paraphrase)).toBe(true);
    expect(headerOf(paraphrase, 'x-router-cache')).toMatch(
      /^semantic;similarity=0\.9\d\d|^semantic;similarity=1\.000/,
    );
    expect((await send(policy, chat('What is the weather in Paris tomorrow?'))).result.kind).toBe('continue');
  });

  it('does not compare semantically in exact mode', async () => {
    const policy = await cachePolicy({ mode: 'exact' });
    await prime(policy, chat('How do I reset my password?'), 'Use the reset link.');
    expect((await send(policy, chat('how do i reset my password'))).result.kind).toBe('continue');
  });

  it("notes the lookup's outcome and similarity for the plugin's span, never the prompt", async () => {
    const policy = await cachePolicy({ semantic: { similarity_threshold: 0.9 } });
    await prime(policy, chat('How do I reset my password?'), 'Use the reset link.');
    const attributesOf = async (text: string) => {
      const record = new RouteRecord();
      await planRoute(policy, contextFor(text), record);
      return record.plugins.find((mark) => mark.type === 'response_cache')?.attributes;
    };
    const hit = await attributesOf('how do i reset my password');
    expect(hit).toMatchObject({ 'router.cache.lookup': 'semantic_hit' });
    expect(hit?.['router.cache.similarity']).toBeGreaterThanOrEqual(0.9);
    expect(await attributesOf('How do I reset my password?')).toEqual({ 'router.cache.lookup': 'exact_hit' });
    const miss = await attributesOf('What is the weather in Paris tomorrow?');
    expect(miss?.['router.cache.lookup']).toBe('miss');
    expect(JSON.stringify(miss)).not.toMatch(/Paris/);
  });

  it('keeps answering, exact keys only, when the embedding model cannot be loaded', async () => {
    const registry = new ResponseCacheRegistry();
    const broken: PluginDefinition<unknown> = {
      name: 'response_cache',
      configSchema: responseCacheConfigSchema,
      create: (config, deps) =>
        createResponseCachePlugin(responseCacheConfigSchema.parse(config), deps, {
          registry,
          embedder: () => Promise.reject(new Error('model file missing')),
        }),
    };
    const policy = await compilePlugins(
      [{ type: 'response_cache', configuration: {} }],
      new Map([...PLUGINS, ['response_cache', broken as PluginDefinition<never>]]),
    );
    await prime(policy, chat('What is two plus two?'), 'Four.');
    expect(contentOf((await send(policy, chat('What is two plus two?'))).result)).toBe('Four.');
    expect((await send(policy, chat('what is two plus two'))).result.kind).toBe('continue');
    expect(registry.counters.embedderErrors).toBeGreaterThan(0);
  });
});
