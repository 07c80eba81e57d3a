// `context_compression` (vLLM Semantic Router's fields): long tool outputs (and, when configured, long earlier turns)
// are cut down to their target with extractive selection scored by BM25 against the last user message, before the
// request goes upstream. `failure_mode: fail_open` (default) sends the request uncompressed if compression fails;
// `fail_closed` refuses it. Recovery of the cut text and per-request controls are not implemented (load warning).
import { z } from 'zod';
import type { LlmApi } from '../../request/apis/index.ts';
import { estimateTokens } from '../../request/request-context.ts';
import { type PluginDefinition, type PluginEffect, plugin } from '../plugin.ts';
import { compressExtractive } from './extractive.ts';

const tokens = z.number().int().positive();
const tokensOrAuto = z.union([tokens, z.literal('auto')]);

const targetSchema = z.strictObject({
  mode: z.enum(['extractive', 'preserve']).default('preserve'),
  min_tokens: tokens.optional(),
  target_tokens: tokens.optional(),
});

/** Sizes of an `extractive` target that gives none (the peer's tool-output defaults). */
const DEFAULT_MIN_TOKENS = 2000;
const DEFAULT_TARGET_TOKENS = 1000;

const configSchema = z.strictObject({
  enabled: z.boolean().optional(),
  mode: z.string().optional(),
  budget: z
    .strictObject({
      trigger_tokens: tokensOrAuto.default('auto'),
      target_tokens: tokensOrAuto.default('auto'),
      reserve_output_tokens: tokensOrAuto.default('auto'),
    })
    .optional(),
  targets: z
    .strictObject({
      tool_outputs: targetSchema.optional(),
      history: targetSchema.optional(),
      rag: targetSchema.optional(),
      memory: targetSchema.optional(),
    })
    .default({}),
  scoring: z
    .strictObject({ method: z.literal('bm25').default('bm25'), embedding_model_ref: z.string().optional() })
    .optional(),
  recovery: z.looseObject({ enabled: z.boolean().default(false) }).optional(),
  request_controls: z.looseObject({ enabled: z.boolean().default(false) }).optional(),
  failure_mode: z.enum(['fail_open', 'fail_closed']).default('fail_open'),
});

type CompressionConfig = z.infer<typeof configSchema>;
type Target = z.infer<typeof targetSchema>;
type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Limits {
  readonly min: number;
  readonly target: number;
}

function limitsOf(target: Target | undefined): Limits | undefined {
  if (target?.mode !== 'extractive') return undefined;
  const targetTokens = target.target_tokens ?? DEFAULT_TARGET_TOKENS;
  return { min: Math.max(target.min_tokens ?? DEFAULT_MIN_TOKENS, targetTokens), target: targetTokens };
}

/** Compresses a message content (a string, or parts/blocks whose text parts are joined) above `limits.min`. */
function compressContent(content: unknown, limits: Limits, query: string): unknown {
  if (typeof content === 'string') {
    return estimateTokens(content) > limits.min ? compressExtractive(content, query, limits.target) : content;
  }
  if (!Array.isArray(content)) return content;
  const isText = (part: unknown): part is { type: string; text: string } =>
    isObject(part) && typeof part.text === 'string' && (part.type === 'text' || part.type === 'output_text');
  const text = content
    .filter(isText)
    .map((part) => part.text)
    .join('\n');
  if (estimateTokens(text) <= limits.min) return content;
  const firstText = content.find(isText);
  return [
    ...content.filter((part) => !isText(part)),
    { type: firstText?.type ?? 'text', text: compressExtractive(text, query, limits.target) },
  ];
}

interface Scopes {
  readonly toolOutputs: Limits | undefined;
  readonly history: Limits | undefined;
}

/** Index of the last user turn: the question, never compressed. */
function lastUserIndex(items: readonly unknown[]): number {
  for (let i = items.length - 1; i >= 0; i--)
    if (isObject(items[i]) && (items[i] as JsonObject).role === 'user') return i;
  return -1;
}

function compressChat(messages: readonly unknown[], scopes: Scopes, query: string): unknown[] {
  const question = lastUserIndex(messages);
  return messages.map((message, index) => {
    if (!isObject(message)) return message;
    const limits =
      message.role === 'tool' || message.role === 'function'
        ? scopes.toolOutputs
        : (message.role === 'user' || message.role === 'assistant') && index !== question
          ? scopes.history
          : undefined;
    if (limits === undefined) return message;
    const content = compressContent(message.content, limits, query);
    return content === message.content ? message : { ...message, content };
  });
}

function compressAnthropic(messages: readonly unknown[], scopes: Scopes, query: string): unknown[] {
  const question = lastUserIndex(messages);
  return messages.map((message, index) => {
    if (!isObject(message)) return message;
    let content = message.content;
    if (scopes.toolOutputs && Array.isArray(content)) {
      const limits = scopes.toolOutputs;
      content = content.map((block) =>
        isObject(block) && block.type === 'tool_result'
          ? { ...block, content: compressContent(block.content, limits, query) }
          : block,
      );
    }
    if (scopes.history && index !== question && (message.role === 'user' || message.role === 'assistant')) {
      content = compressContent(content, scopes.history, query);
    }
    return content === message.content ? message : { ...message, content };
  });
}

function compressResponsesInput(input: readonly unknown[], scopes: Scopes, query: string): unknown[] {
  const question = lastUserIndex(input);
  return input.map((item, index) => {
    if (!isObject(item)) return item;
    if (item.type === 'function_call_output' && scopes.toolOutputs) {
      const output = compressContent(item.output, scopes.toolOutputs, query);
      return output === item.output ? item : { ...item, output };
    }
    if (scopes.history && index !== question && (item.role === 'user' || item.role === 'assistant')) {
      const content = compressContent(item.content, scopes.history, query);
      return content === item.content ? item : { ...item, content };
    }
    return item;
  });
}

export function compressBody(api: LlmApi, body: JsonObject, scopes: Scopes, query: string): void {
  if (api === 'chat_completions' && Array.isArray(body.messages))
    body.messages = compressChat(body.messages, scopes, query);
  else if (api === 'messages' && Array.isArray(body.messages))
    body.messages = compressAnthropic(body.messages, scopes, query);
  else if (api === 'responses' && Array.isArray(body.input))
    body.input = compressResponsesInput(body.input, scopes, query);
}

export const contextCompressionPlugin: PluginDefinition<CompressionConfig> = {
  name: 'context_compression',
  configSchema,
  create: (config, deps) => {
    if (config.recovery?.enabled) {
      deps.warn(
        ['recovery', 'enabled'],
        'recovery of compressed text is not implemented: the cut text is not kept',
      );
    }
    if (config.request_controls?.enabled) {
      deps.warn(
        ['request_controls', 'enabled'],
        'per-request compression controls are not implemented: ignored',
      );
    }
    for (const name of ['rag', 'memory'] as const) {
      if (config.targets[name]?.mode === 'extractive') {
        deps.warn(['targets', name, 'mode'], `this router injects no ${name} context to compress: ignored`);
      }
    }
    const scopes: Scopes = {
      toolOutputs: limitsOf(config.targets.tool_outputs),
      history: limitsOf(config.targets.history),
    };
    const trigger = config.budget?.trigger_tokens;
    return plugin('context_compression', {
      onRequest: ({ request }): PluginEffect | undefined => {
        if (scopes.toolOutputs === undefined && scopes.history === undefined) return undefined;
        if (typeof trigger === 'number' && request.promptTokens < trigger) return undefined;
        const api = request.request.api;
        const query = request.lastUserText;
        // The patch compresses the body as earlier plugins left it; this run on the client's body decides
        // failure_mode before anything is sent.
        try {
          compressBody(api, { ...request.request.body }, scopes, query);
        } catch {
          if (config.failure_mode === 'fail_open') return undefined;
          return {
            kind: 'respond',
            responsePath: 'blocked',
            status: 503,
            message: 'context compression failed',
          };
        }
        return {
          kind: 'rewrite',
          patchBody: (body) => {
            try {
              compressBody(api, body, scopes, query);
            } catch {
              // fail_open: a later plugin's body change broke compression; the body goes as it is.
            }
          },
        };
      },
    });
  },
};
