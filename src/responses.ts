// Locally generated answers: errors and canned completions (in each API's shape, see src/request/apis/) and the
// `GET /v1/models` listing in OpenAI's or Anthropic's shape.
import type { HeaderPair, ImmediateResult } from './mutations.ts';
import { jsonAnswer } from './request/apis/answers.ts';
import { chatCompletionsApi } from './request/apis/chat-completions.ts';
import type { ErrorAnswer, LlmApi } from './request/apis/types.ts';

export { ROUTER_ERROR_CODE_HEADER } from './request/apis/answers.ts';
export type { ErrorAnswer } from './request/apis/types.ts';

/** OpenAI's error shape `{"error":{"message","type","code","param"}}` (chat completions' `errorAnswer`). */
export function errorResponse(error: ErrorAnswer, extraHeaders: readonly HeaderPair[] = []): ImmediateResult {
  return chatCompletionsApi.errorAnswer(error, extraHeaders);
}

/** A canned chat completion from the router itself (`fast_response`); SSE chunks when the client streams. */
export function fastChatCompletion(
  model: string,
  message: string,
  stream: boolean,
  extraHeaders: readonly HeaderPair[],
): ImmediateResult {
  return chatCompletionsApi.fastAnswer(model, message, stream, extraHeaders);
}

export interface ModelListing {
  readonly id: string;
  readonly ownedBy: string;
}

export function modelsListResponse(models: readonly ModelListing[]): ImmediateResult {
  return jsonAnswer(
    200,
    {
      object: 'list',
      data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })),
    },
    'semantic_router_models_list',
  );
}

export interface ApiModelListing extends ModelListing {
  /** The APIs the model can be called through. */
  readonly apis: readonly LlmApi[];
}

/** Anthropic lists `created_at` as RFC 3339; the router has no release date for a model. */
const UNKNOWN_CREATED_AT = '1970-01-01T00:00:00Z';

/**
 * `GET /v1/models`: OpenAI's list with a `supported_apis` extension per model, or (for Anthropic clients) Anthropic's
 * list of the models that speak the Messages API, as one page.
 */
export function modelsListAnswer(
  models: readonly ApiModelListing[],
  flavour: 'openai' | 'anthropic',
): ImmediateResult {
  if (flavour === 'openai') {
    return jsonAnswer(
      200,
      {
        object: 'list',
        data: models.map((m) => ({
          id: m.id,
          object: 'model',
          created: 0,
          owned_by: m.ownedBy,
          supported_apis: [...m.apis],
        })),
      },
      'semantic_router_models_list',
    );
  }
  const data = models
    .filter((m) => m.apis.includes('messages'))
    .map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: UNKNOWN_CREATED_AT }));
  return jsonAnswer(
    200,
    { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null },
    'semantic_router_models_list',
  );
}
