// `request_params` (vLLM Semantic Router's fields): a route's limits on what the client may ask of the model. Blocked
// parameters are removed, output-token caps and choice counts above the limit are clamped to it (the request is
// served, within budget), and with `strip_unknown` every field the API does not define is dropped.
import { z } from 'zod';
import type { LlmApi } from '../../request/apis/index.ts';
import { type PluginDefinition, plugin } from '../plugin.ts';
import {
  CHOICE_COUNT_FIELDS,
  ESSENTIAL_PARAMETERS,
  KNOWN_PARAMETERS,
  OUTPUT_TOKEN_FIELDS,
} from './known-parameters.ts';

const configSchema = z.strictObject({
  enabled: z.boolean().optional(),
  blocked_params: z
    .array(
      z
        .string()
        .min(1)
        .refine(
          (name) => !ESSENTIAL_PARAMETERS.has(name),
          'model, messages, prompt and input cannot be blocked',
        ),
    )
    .default([]),
  max_tokens_limit: z.number().int().positive().optional(),
  max_n: z.number().int().positive().optional(),
  strip_unknown: z.boolean().default(false),
});

type RequestParamsConfig = z.infer<typeof configSchema>;

function clampField(body: Record<string, unknown>, field: string, limit: number): void {
  const value = body[field];
  if (typeof value === 'number' && value > limit) body[field] = limit;
}

/** Fields of the client's body that `api` does not define. */
export function unknownParameters(api: LlmApi, clientBody: Readonly<Record<string, unknown>>): string[] {
  const known = KNOWN_PARAMETERS[api];
  return Object.keys(clientBody).filter((name) => !known.has(name));
}

/**
 * Applies the limits to a request body of `api` (top-level members only). `unknown` are the client's fields to drop
 * for `strip_unknown`: computed on the client's body, so fields the router itself writes (a reasoning switch at a
 * model's own parameter path) survive.
 */
export function applyRequestParams(
  api: LlmApi,
  body: Record<string, unknown>,
  config: RequestParamsConfig,
  unknown: readonly string[] = [],
): void {
  for (const name of config.blocked_params) delete body[name];
  for (const name of unknown) delete body[name];
  if (config.max_tokens_limit !== undefined) {
    const fields = OUTPUT_TOKEN_FIELDS[api];
    for (const field of fields) clampField(body, field, config.max_tokens_limit);
    // A client that sets no cap would otherwise get the server's default, which may exceed the route's budget.
    const first = fields[0];
    if (first !== undefined && fields.every((field) => body[field] === undefined || body[field] === null)) {
      body[first] = config.max_tokens_limit;
    }
  }
  if (config.max_n !== undefined) {
    for (const field of CHOICE_COUNT_FIELDS[api]) clampField(body, field, config.max_n);
  }
}

export const requestParamsPlugin: PluginDefinition<RequestParamsConfig> = {
  name: 'request_params',
  configSchema,
  create: (config) =>
    plugin('request_params', {
      onRequest: ({ request }) => ({
        kind: 'rewrite',
        patchBody: (body) =>
          applyRequestParams(
            request.request.api,
            body,
            config,
            config.strip_unknown ? unknownParameters(request.request.api, request.request.body) : [],
          ),
      }),
    }),
};
