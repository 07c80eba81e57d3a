// Locally generated answers: OpenAI-shaped errors and the `GET /v1/models` listing.
import { HEADER, type ResponsePath } from './headers.ts';
import type { HeaderPair, ImmediateResult } from './mutations.ts';

function jsonResult(
  status: number,
  payload: unknown,
  details: string,
  extra: readonly HeaderPair[] = [],
): ImmediateResult {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return {
    kind: 'immediate',
    status,
    headers: [[HEADER.contentType, 'application/json'], ...extra],
    body,
    details,
  };
}

export interface ErrorAnswer {
  readonly httpStatus: number | undefined;
  readonly message: string;
  readonly code: string;
  readonly errorType: string;
}

/** OpenAI's error shape: `{"error":{"message","type","code"}}`. */
export function errorResponse(error: ErrorAnswer, extraHeaders: readonly HeaderPair[] = []): ImmediateResult {
  const responsePath: ResponsePath = error.httpStatus === 403 ? 'blocked' : 'error';
  return jsonResult(
    error.httpStatus ?? 500,
    { error: { message: error.message, type: error.errorType, code: error.code } },
    `semantic_router_${error.code}`,
    [[HEADER.routerResponsePath, responsePath], ...extraHeaders],
  );
}

export interface ModelListing {
  readonly id: string;
  readonly ownedBy: string;
}

export function modelsListResponse(models: readonly ModelListing[]): ImmediateResult {
  return jsonResult(
    200,
    {
      object: 'list',
      data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })),
    },
    'semantic_router_models_list',
  );
}

/** A canned chat completion from the router itself (`fast_response`); SSE chunks when the client streams. */
export function fastChatCompletion(
  model: string,
  message: string,
  stream: boolean,
  extraHeaders: readonly HeaderPair[],
): ImmediateResult {
  const id = `chatcmpl-router-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  if (!stream) {
    return jsonResult(
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: message }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      },
      'semantic_router_fast_response',
      extraHeaders,
    );
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const body = `${chunk({ role: 'assistant', content: message }, null)}${chunk({}, 'stop')}data: [DONE]\n\n`;
  return {
    kind: 'immediate',
    status: 200,
    headers: [[HEADER.contentType, 'text/event-stream'], ['cache-control', 'no-cache'], ...extraHeaders],
    body: Buffer.from(body, 'utf8'),
    details: 'semantic_router_fast_response',
  };
}
