// External OpenAI-compatible models that label requests for `classifiers` rules of `type: llm`: the policy's
// top-level `external_models` (v0.3: `global.model_catalog.external`), in vLLM Semantic Router's field names.
import { z } from 'zod';

/** Seconds an external classifier call may take when the model sets no `llm_timeout_seconds`. */
export const DEFAULT_EXTERNAL_TIMEOUT_SECONDS = 5;

const endpointSchema = z
  .object({
    address: z.string().min(1, 'llm_endpoint.address names the host'),
    port: z.number().int().min(1).max(65535).optional(),
    protocol: z.enum(['http', 'https']).default('http'),
    /** Path of the chat completions API (default `/v1/chat/completions`). */
    path: z.string().startsWith('/').optional(),
  })
  .loose();

export const externalModelSchema = z
  .object({
    name: z.string().min(1),
    llm_provider: z.string().optional(),
    model_role: z.string().optional(),
    llm_endpoint: endpointSchema,
    llm_model_name: z.string().min(1),
    llm_timeout_seconds: z.number().positive().optional(),
    /** Only `json` (the reply carries `{"label": …}`, or a bare label) is read. */
    parser_type: z.enum(['json']).optional(),
    /** The API key, literally (the peer's form); prefer `access_key_env`. Never logged. */
    access_key: z.string().optional(),
    /** Extension: the environment variable holding the API key. */
    access_key_env: z.string().min(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
  })
  .loose();

export type ExternalModelDocument = z.infer<typeof externalModelSchema>;

/** An external model ready to call: its URL, model name, limits and credential. */
export interface ExternalModel {
  readonly name: string;
  readonly url: string;
  readonly modelName: string;
  readonly timeoutMs: number;
  readonly maxTokens: number | undefined;
  readonly temperature: number;
  /** Resolved when the policy loads; undefined when none is configured. */
  readonly apiKey: string | undefined;
}

export function toExternalModel(
  doc: ExternalModelDocument,
  env: NodeJS.ProcessEnv = process.env,
): ExternalModel {
  const { address, port, protocol, path } = doc.llm_endpoint;
  const host = address.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const hostPort =
    port === undefined ? host : `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  return {
    name: doc.name,
    url: `${protocol}://${hostPort}${path ?? '/v1/chat/completions'}`,
    modelName: doc.llm_model_name,
    timeoutMs: 1000 * (doc.llm_timeout_seconds ?? DEFAULT_EXTERNAL_TIMEOUT_SECONDS),
    maxTokens: doc.max_tokens,
    temperature: doc.temperature ?? 0,
    apiKey: doc.access_key_env !== undefined ? env[doc.access_key_env] : doc.access_key,
  };
}
