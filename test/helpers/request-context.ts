// Builds a RequestContext the way the pipeline does: JSON bytes → decodeJsonBody → parseOpenAIRequest → context.
import type { CallerIdentity } from '../../src/request/identity.ts';
import { decodeJsonBody, parseOpenAIRequest } from '../../src/request/openai-request.ts';
import { buildRequestContext, type RequestContext } from '../../src/request/request-context.ts';

export interface ContextInput {
  /** OpenAI chat messages; defaults to one user message with `text` (or an empty one). */
  readonly messages?: readonly unknown[];
  readonly model?: string;
  readonly tools?: readonly unknown[];
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Header names are lower-cased, as Envoy delivers them. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly stream?: boolean;
  /** Shorthand for a single user message. */
  readonly text?: string;
  readonly path?: string;
  /** Legacy completions `prompt` (use with `path: '/v1/completions'`). */
  readonly prompt?: string | readonly string[];
  /** The caller as the trusted identity source says (role_bindings reads it). */
  readonly identity?: CallerIdentity;
}

export function bodyFor(input: ContextInput): Record<string, unknown> {
  const body: Record<string, unknown> = { model: input.model ?? 'auto' };
  if (input.prompt !== undefined) body.prompt = input.prompt;
  else body.messages = input.messages ?? [{ role: 'user', content: input.text ?? '' }];
  if (input.tools !== undefined) body.tools = input.tools;
  if (input.metadata !== undefined) body.metadata = input.metadata;
  if (input.stream !== undefined) body.stream = input.stream;
  return body;
}

/** The JSON bytes of an `auto` chat completions request with one user message, as Envoy forwards them. */
export function chatBody(text: string): Buffer {
  return Buffer.from(JSON.stringify(bodyFor({ text })), 'utf8');
}

/** A context for `input`, or for a single user message when given a string. */
export function contextFor(input: ContextInput | string = {}): RequestContext {
  const options: ContextInput = typeof input === 'string' ? { text: input } : input;
  const path = options.path ?? (options.prompt !== undefined ? '/v1/completions' : '/v1/chat/completions');
  const bytes = Buffer.from(JSON.stringify(bodyFor(options)), 'utf8');
  const request = parseOpenAIRequest(decodeJsonBody(bytes), path);
  const headers = new Map(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return buildRequestContext({ method: 'POST', path, headers, request, identity: options.identity });
}
