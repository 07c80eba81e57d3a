// When the response cache embeds the last user turn: at lookup only when the bucket has vectors to compare
// against, otherwise once, when the answer is stored; paraphrases are found either way.
import { beforeEach, describe, expect, it } from 'vitest';
import type { TextEmbeddingModel } from '../../../src/ml/embedding/text-embedder.ts';
import type { PhaseResult } from '../../../src/mutations.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { PLUGINS as PLUGIN_REGISTRY } from '../../../src/plugins/index.ts';
import type { PluginDefinition } from '../../../src/plugins/plugin.ts';
import { responseCacheConfigSchema } from '../../../src/plugins/response-cache/cache-config.ts';
import { lexicalEmbedder } from '../../../src/plugins/response-cache/cache-similarity.ts';
import { createResponseCachePlugin } from '../../../src/plugins/response-cache/response-cache-plugin.ts';
import { ResponseCacheRegistry } from '../../../src/plugins/response-cache/response-cache-registry.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { MemoryStore } from '../../../src/state/shared-store.ts';
import {
  askReplica,
  chatAnswer,
  chatCompletionPost,
  compilePlugins,
  exchange,
} from '../../helpers/response-plugins.ts';

const PLUGINS = await PLUGIN_REGISTRY.loadAll();

/** The cache with the built-in lexical model, counting the texts it embeds. */
async function countingCache(configuration: Record<string, unknown> = {}) {
  const registry = new ResponseCacheRegistry();
  const embedded: string[] = [];
  const counting: PluginDefinition<unknown> = {
    name: 'response_cache',
    configSchema: responseCacheConfigSchema,
    create: (config, deps) => {
      const load = lexicalEmbedder(deps);
      const embedder = async (): Promise<TextEmbeddingModel> => {
        const model = await load();
        return {
          file: model.file,
          dim: model.dim,
          ...(model.calibrate && { calibrate: model.calibrate }),
          embed: (texts) => {
            embedded.push(...texts);
            return model.embed(texts);
          },
          close: () => model.close(),
        };
      };
      return createResponseCachePlugin(responseCacheConfigSchema.parse(config), deps, { registry, embedder });
    },
  };
  const policy = await compilePlugins(
    [{ type: 'response_cache', configuration: { scope: 'global', ...configuration } }],
    new Map([...PLUGINS, ['response_cache', counting as PluginDefinition<never>]]),
  );
  return { policy, registry, embedded };
}

function cacheHeader(result: PhaseResult): string | undefined {
  const headers = result.kind === 'immediate' ? result.headers : (result.setHeaders ?? []);
  return headers.find(([name]) => name === 'x-router-cache')?.[1];
}

/** The request phase's result for `messages` (a chat completion). */
async function requestPhase(policy: Policy, messages: readonly unknown[]): Promise<PhaseResult> {
  const processor = chatCompletionPost(createRequestRouter(policy));
  const result = await processor.onRequestBody(
    Buffer.from(JSON.stringify({ model: 'auto', messages })),
    true,
  );
  processor.release();
  return result;
}

const ask = (policy: Policy, text: string, answer?: string) =>
  askReplica(policy, new MemoryStore(), text, answer);

let cache: Awaited<ReturnType<typeof countingCache>>;

beforeEach(async () => {
  cache = await countingCache();
});

describe('response_cache embedding', () => {
  it('embeds nothing for a lookup in an empty bucket, and the turn once when its answer is stored', async () => {
    const { processor } = await exchange(
      cache.policy,
      [{ role: 'user', content: 'How do I reset my password?' }],
      {
        contentType: 'application/json',
      },
    );
    expect(cache.embedded).toEqual([]);
    await processor.onResponseBody(chatAnswer('Open Settings, then Security.'), true);
    processor.release();
    expect(cache.embedded).toEqual(['How do I reset my password?']);
    expect(cache.registry.counters.stores).toBe(1);
  });

  it('finds a paraphrase of an answer whose vector was computed at store time', async () => {
    await ask(cache.policy, 'How do I reset my password?', 'Open Settings, then Security.');
    const paraphrase = await ask(cache.policy, 'how do i reset my password');
    expect(cacheHeader(paraphrase)).toMatch(/^semantic;similarity=/);
    expect(cache.embedded).toEqual(['How do I reset my password?', 'how do i reset my password']);
  });

  it('embeds at lookup once the bucket holds a vector, and not again when that answer is stored', async () => {
    await ask(cache.policy, 'How do I reset my password?', 'Open Settings, then Security.');
    const other = await ask(cache.policy, 'What is the capital of France?', 'Paris.');
    expect(other.kind).toBe('continue');
    expect(cache.embedded).toEqual(['How do I reset my password?', 'What is the capital of France?']);
    expect(cacheHeader(await ask(cache.policy, 'what is the capital of france'))).toMatch(/^semantic/);
  });

  it('embeds nothing for a miss whose answer is not stored', async () => {
    const small = await countingCache({ max_entry_bytes: 1 });
    await ask(small.policy, 'How do I reset my password?', 'Open Settings, then Security.');
    await ask(small.policy, 'What is the capital of France?', 'Paris.');
    expect(small.embedded).toEqual([]);
    expect(small.registry.counters.stores).toBe(0);
  });

  it('embeds nothing in exact mode', async () => {
    const exact = await countingCache({ mode: 'exact' });
    await ask(exact.policy, 'How do I reset my password?', 'Open Settings, then Security.');
    expect(cacheHeader(await ask(exact.policy, 'How do I reset my password?'))).toBe('exact');
    expect(cacheHeader(await ask(exact.policy, 'how do i reset my password'))).toBeUndefined();
    expect(exact.embedded).toEqual([]);
  });
});

describe('response_cache keys computed when the answer is stored', () => {
  it('are those a later identical request looks up, with plugins after the cache rewriting the body', async () => {
    const policy = await compilePlugins([
      { type: 'response_cache', configuration: { scope: 'global', mode: 'exact' } },
      { type: 'system_prompt', configuration: { system_prompt: 'Answer briefly.', mode: 'insert' } },
      { type: 'request_params', configuration: { max_tokens_limit: 64, strip_unknown: true } },
    ]);
    const messages = [
      { role: 'system', content: 'You are a support agent.' },
      { role: 'user', content: 'Where do I change my billing address?' },
    ];
    const first = await exchange(policy, messages, { contentType: 'application/json' });
    await first.processor.onResponseBody(chatAnswer('Under Settings, Billing.'), true);
    first.processor.release();
    expect(cacheHeader(await requestPhase(policy, messages))).toBe('exact');
  });
});
