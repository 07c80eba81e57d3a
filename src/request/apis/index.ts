// The LLM APIs the router parses, one adapter each, listed explicitly.
import { InvalidRequestError } from '../../errors.ts';
import { anthropicMessagesApi } from './anthropic-messages.ts';
import { chatCompletionsApi } from './chat-completions.ts';
import { completionsApi } from './completions.ts';
import { responsesApi } from './responses.ts';
import type { LlmApi, LlmApiAdapter, ParsedRequest } from './types.ts';

export { ROUTER_ERROR_CODE_HEADER } from './answers.ts';
export type {
  ChatMessage,
  ErrorAnswer,
  LlmApi,
  LlmApiAdapter,
  ParsedRequest,
  ReasoningFamily,
  SystemPromptMode,
} from './types.ts';

export const LLM_APIS: ReadonlyMap<LlmApi, LlmApiAdapter> = new Map(
  [chatCompletionsApi, completionsApi, responsesApi, anthropicMessagesApi].map((a) => [a.api, a]),
);

const API_BY_PATH: ReadonlyMap<string, LlmApi> = new Map([...LLM_APIS.values()].map((a) => [a.path, a.api]));

/** The API served on `path` (query and one trailing slash ignored), or undefined for any other path. */
export function apiForPath(path: string): LlmApi | undefined {
  const q = path.indexOf('?');
  let bare = q < 0 ? path : path.slice(0, q);
  if (bare.length > 1 && bare.endsWith('/')) bare = bare.slice(0, -1);
  return API_BY_PATH.get(bare);
}

export function llmApi(api: LlmApi): LlmApiAdapter {
  const adapter = LLM_APIS.get(api);
  if (!adapter) throw new InvalidRequestError(`Unknown LLM API '${String(api)}'`);
  return adapter;
}

/** Parses a decoded JSON body as `api`; throws only InvalidRequestError. */
export function parseLlmRequest(api: LlmApi, body: Record<string, unknown>): ParsedRequest {
  return llmApi(api).parse(body);
}
