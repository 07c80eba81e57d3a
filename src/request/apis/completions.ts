// OpenAI legacy completions (`POST /v1/completions`): a `prompt` (string, strings or token ids) and no roles.
import { InvalidRequestError } from '../../errors.ts';
import type { HeaderPair, ImmediateResult } from '../../mutations.ts';
import {
  answerId,
  jsonAnswer,
  openAIErrorAnswer,
  sseAnswer,
  sseFrame,
  textDeltas,
  unixSeconds,
} from './answers.ts';
import { chatCompletionsApi, parseChatMessages } from './chat-completions.ts';
import {
  describe,
  type JsonObject,
  joinText,
  message,
  parsedRequest,
  readDeclaredTools,
  readModel,
  readTokenCap,
} from './fields.ts';
import { applyTopLevelReasoning } from './patches.ts';
import type { ChatMessage, LlmApiAdapter, ParsedRequest, SystemPromptMode } from './types.ts';

function hasPrompt(body: Readonly<JsonObject>): boolean {
  return body.prompt !== undefined && body.prompt !== null;
}

/** The prompt's text: a string, or the strings of a batch (token-id prompts carry no text the router can read). */
function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) return prompt.filter((p): p is string => typeof p === 'string').join('\n');
  throw new InvalidRequestError(
    `'prompt' must be a string or an array of strings or token ids (got ${describe(prompt)})`,
  );
}

function parseMessages(body: JsonObject): ChatMessage[] {
  if (hasPrompt(body)) {
    // `suffix` (insertion mode) is text the model reads after the completion point.
    const suffix = typeof body.suffix === 'string' ? body.suffix : '';
    return [message('user', joinText([promptText(body.prompt), suffix]))];
  }
  // Some clients send chat `messages` to /v1/completions; vLLM rejects them but the router can still read them.
  if (body.messages !== undefined) return parseChatMessages(body.messages);
  throw new InvalidRequestError("'prompt' is required (a string or an array of strings)", 'missing_messages');
}

function maxOutputTokens(body: Readonly<JsonObject>): number | undefined {
  return readTokenCap(body, 'max_tokens');
}

function parse(body: JsonObject): ParsedRequest {
  const model = readModel(body);
  const messages = parseMessages(body);
  return parsedRequest('completions', body, {
    model,
    messages,
    tools: readDeclaredTools(body),
    maxOutputTokens: maxOutputTokens(body),
  });
}

/**
 * A completion has no system slot: the prompt is prepended to the text prompt (to each prompt of a batch), in
 * either mode. Token-id prompts are left alone (the router has no tokenizer for the target model).
 */
function applySystemPrompt(body: JsonObject, prompt: string, mode: SystemPromptMode): void {
  if (!hasPrompt(body)) {
    chatCompletionsApi.applySystemPrompt(body, prompt, mode);
    return;
  }
  const prefix = (text: string) => (text.length > 0 ? `${prompt}\n\n${text}` : prompt);
  if (typeof body.prompt === 'string') body.prompt = prefix(body.prompt);
  else if (Array.isArray(body.prompt) && body.prompt.every((p) => typeof p === 'string')) {
    body.prompt = body.prompt.map((p: string) => prefix(p));
  }
}

export function textCompletionFrames(options: {
  id: string;
  created: number;
  model: string;
  text: string;
}): string[] {
  const { id, created, model } = options;
  const chunk = (text: string, finish: string | null) =>
    sseFrame(undefined, {
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    });
  return [
    ...textDeltas(options.text).map((delta) => chunk(delta, null)),
    chunk('', 'stop'),
    sseFrame(undefined, '[DONE]'),
  ];
}

export function textCompletionObject(options: {
  id: string;
  created: number;
  model: string;
  text: string;
  usage: Readonly<Record<string, number>>;
}): JsonObject {
  return {
    id: options.id,
    object: 'text_completion',
    created: options.created,
    model: options.model,
    choices: [{ index: 0, text: options.text, logprobs: null, finish_reason: 'stop' }],
    usage: options.usage,
  };
}

function fastAnswer(
  model: string,
  text: string,
  stream: boolean,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  const options = { id: answerId('cmpl-'), created: unixSeconds(), model, text };
  return stream
    ? sseAnswer(textCompletionFrames(options), 'semantic_router_fast_response', extraHeaders)
    : jsonAnswer(
        200,
        textCompletionObject({
          ...options,
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        }),
        'semantic_router_fast_response',
        extraHeaders,
      );
}

export const completionsApi: LlmApiAdapter = {
  api: 'completions',
  path: '/v1/completions',
  parse,
  maxOutputTokens,
  applySystemPrompt,
  applyReasoning: applyTopLevelReasoning,
  errorAnswer: openAIErrorAnswer,
  fastAnswer,
};
