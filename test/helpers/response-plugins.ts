// Drives one request and its answer through a StreamProcessor for a policy whose only decision carries the given
// plugins: the answer as a whole JSON body (BUFFERED) or as SSE chunks (STREAMED), and what the client receives.
import { expect } from 'vitest';
import YAML from 'yaml';
import type { PhaseResult } from '../../src/mutations.ts';
import { createRequestRouter, defaultRouterDeps, type RequestRouter } from '../../src/pipeline.ts';
import type { PluginDefinition } from '../../src/plugins/plugin.ts';
import { compilePolicyText } from '../../src/policy/load-policy.ts';
import type { Policy } from '../../src/policy/policy.ts';
import { StreamProcessor } from '../../src/server/stream-processor.ts';
import type { SharedStore } from '../../src/state/shared-store.ts';

/** `extra`: more top-level policy sections (e.g. `response`). */
export function pluginPolicy(plugins: readonly unknown[], extra: Record<string, unknown> = {}): string {
  return YAML.stringify({
    ...extra,
    version: 'v1',
    default_model: 'small',
    pools: [{ name: 'l4-pool', max_context_tokens: 32768 }],
    models: [{ name: 'small', pools: ['l4-pool'] }],
    routing: { decisions: [{ name: 'checked', modelRefs: [{ model: 'small' }], plugins }] },
  });
}

export async function compilePlugins(
  plugins: readonly unknown[],
  registry?: ReadonlyMap<string, PluginDefinition<never>>,
  extra: Record<string, unknown> = {},
): Promise<Policy> {
  return compilePolicyText(
    pluginPolicy(plugins, extra),
    'plugins.yaml',
    registry ? { plugins: registry } : {},
  );
}

/** A stream processor that has read the headers of a chat completion POST; unexpected errors fail the test. */
export function chatCompletionPost(router: RequestRouter, maxBodyBytes = 1024 * 1024): StreamProcessor {
  const processor = new StreamProcessor(router, {
    maxBodyBytes,
    failOpen: false,
    onUnexpectedError: (error) => {
      throw error;
    },
  });
  processor.onRequestHeaders(
    new Map([
      [':method', 'POST'],
      [':path', '/v1/chat/completions'],
    ]),
    false,
  );
  return processor;
}

/** A stream processor whose unexpected and plugin errors fail the test. */
function failingProcessor(router: RequestRouter): StreamProcessor {
  return new StreamProcessor(router, {
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

export interface Exchange {
  readonly processor: StreamProcessor;
  readonly headersResult: PhaseResult;
}

/** Routes a chat completion request (`messages`, extra request headers) and hands the processor the answer's headers. */
export async function exchange(
  policy: Policy,
  messages: readonly unknown[],
  answer: { readonly contentType: string; readonly status?: number },
  requestHeaders: Readonly<Record<string, string>> = {},
  path = '/v1/chat/completions',
): Promise<Exchange> {
  const processor = failingProcessor(createRequestRouter(policy));
  processor.onRequestHeaders(
    new Map([[':method', 'POST'], [':path', path], ...Object.entries(requestHeaders)]),
    false,
  );
  const stream = answer.contentType.startsWith('text/event-stream');
  const routed = await processor.onRequestBody(
    Buffer.from(JSON.stringify({ model: 'auto', messages, ...(stream && { stream: true }) })),
    true,
  );
  if (routed.kind !== 'continue') throw new Error(`request not routed: ${JSON.stringify(routed)}`);
  const headersResult = await processor.onResponseHeaders(
    new Map([
      [':status', String(answer.status ?? 200)],
      ['content-type', answer.contentType],
    ]),
  );
  return { processor, headersResult };
}

/**
 * One chat completion through a router of `policy` sharing `store` (a replica): the request phase's result, and,
 * when routed upstream and `answer` is given, that text as the model's JSON answer (which a cache then stores).
 */
export async function askReplica(
  policy: Policy,
  store: SharedStore,
  text: string,
  answer?: string,
): Promise<PhaseResult> {
  const processor = failingProcessor(createRequestRouter(policy, { ...defaultRouterDeps(), store }));
  processor.onRequestHeaders(
    new Map([
      [':method', 'POST'],
      [':path', '/v1/chat/completions'],
    ]),
    false,
  );
  const body = { model: 'auto', messages: [{ role: 'user', content: text }] };
  const result = await processor.onRequestBody(Buffer.from(JSON.stringify(body)), true);
  if (result.kind === 'continue' && answer !== undefined) {
    await processor.onResponseHeaders(
      new Map([
        [':status', '200'],
        ['content-type', 'application/json'],
      ]),
    );
    await processor.onResponseBody(chatAnswer(answer), true);
  }
  processor.release();
  return result;
}

/** The bytes the client receives for each chunk: the replacement body when there is one, else the chunk. */
export async function streamThrough(processor: StreamProcessor, chunks: readonly string[]) {
  const results: PhaseResult[] = [];
  const sent: Buffer[] = [];
  for (let i = 0; i < chunks.length; i++) {
    const chunk = Buffer.from(chunks[i] as string, 'utf8');
    const result = await processor.onResponseBody(chunk, i === chunks.length - 1);
    results.push(result);
    if (result.kind !== 'continue') throw new Error('a streamed answer cannot be answered immediately');
    sent.push(result.body !== undefined ? Buffer.from(result.body) : chunk);
  }
  return { results, text: Buffer.concat(sent).toString('utf8') };
}

/** An OpenAI chat completion stream of `text`, cut into SSE chunks of `chunkBytes` bytes (anywhere, as TCP does). */
export function chatStream(text: string, chunkBytes = 37): string[] {
  const words = text.split(/(?<= )/);
  const frames = [
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })}\n\n`,
    ...words.map(
      (word) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word } }] })}\n\n`,
    ),
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
  const chunks: string[] = [];
  for (let at = 0; at < frames.length; at += chunkBytes) chunks.push(frames.slice(at, at + chunkBytes));
  return chunks;
}

export function chatAnswer(content: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'small',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
    }),
  );
}

/** The SSE frames of a stream as an OpenAI client parser reads them: each `data:` payload, JSON-parsed unless [DONE]. */
export function parseOpenAiStream(text: string): unknown[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((frame) => frame.length > 0)
    .map((frame) => {
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return data === '[DONE]' ? '[DONE]' : JSON.parse(data);
    });
}
