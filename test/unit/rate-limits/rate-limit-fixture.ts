// A small policy with rate limits and a driver that plays Envoy's phases on StreamProcessors (no gRPC).
import type { ImmediateResult, PhaseResult } from '../../../src/mutations.ts';
import { createRequestRouter, defaultRouterDeps, type RequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { RateLimitCounters } from '../../../src/rate-limits/rate-limiter.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';

/** `limits`: YAML list items of `rate_limits.limits`, indented by the caller as a flow list or block. */
export function rateLimitPolicy(limits: string, extra = ''): string {
  return `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool] }
  - { name: big, provider_model_id: Qwen/Qwen3-32B, pools: [h100-pool] }
routing:
  signals:
    keywords:
      - { name: math_terms, operator: OR, keywords: [integral] }
      - { name: hours_terms, operator: OR, keywords: [opening hours] }
  decisions:
    - name: math
      rules: { type: keyword, name: math_terms }
      modelRefs: [{ model: big }]
    - name: hours
      rules: { type: keyword, name: hours_terms }
      modelRefs: [{ model: small }]
      plugins:
        - type: fast_response
          configuration: { message: "We are open from 9 to 5." }
rate_limits:
${extra}  limits:
${limits}
`;
}

export interface Harness {
  readonly policy: Policy;
  readonly router: RequestRouter;
  /** Moves the limiter's clock. */
  advance(ms: number): void;
  close(): void;
}

export async function harness(policyText: string): Promise<Harness> {
  const policy = await compilePolicyText(policyText, 'rate-limits.yaml');
  let now = 1_000_000;
  const router = createRequestRouter(policy, {
    ...defaultRouterDeps(),
    rateLimitCounters: new RateLimitCounters(() => now),
  });
  return {
    policy,
    router,
    advance: (ms) => {
      now += ms;
    },
    close: () => policy.close(),
  };
}

export interface SendOptions {
  readonly headers?: Record<string, string>;
  readonly model?: string;
  readonly text?: string;
  readonly path?: string;
}

export interface Sent {
  readonly stream: StreamProcessor;
  readonly result: PhaseResult;
}

/** Request headers and body through a fresh stream: the routing answer (continue) or the router's own answer. */
export async function send(router: RequestRouter, options: SendOptions = {}): Promise<Sent> {
  const stream = new StreamProcessor(router, {
    maxBodyBytes: 1 << 20,
    failOpen: false,
    onUnexpectedError: (error) => {
      throw error;
    },
  });
  const path = options.path ?? '/v1/chat/completions';
  const headers = new Map([[':method', 'POST'], [':path', path], ...Object.entries(options.headers ?? {})]);
  const early = stream.onRequestHeaders(headers, false);
  if (early.kind === 'immediate') return { stream, result: early };
  const body: Record<string, unknown> = {
    model: options.model ?? 'auto',
    messages: [{ role: 'user', content: options.text ?? 'hello there' }],
  };
  if (path === '/v1/messages') body.max_tokens = 64;
  const result = await stream.onRequestBody(Buffer.from(JSON.stringify(body)), true);
  return { stream, result };
}

/** The upstream answers 200 JSON with this usage; the stream then ends. */
export async function answer(stream: StreamProcessor, usage: { prompt: number; completion: number }) {
  await stream.onResponseHeaders(
    new Map([
      [':status', '200'],
      ['content-type', 'application/json'],
    ]),
  );
  const body = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
    },
  };
  await stream.onResponseBody(Buffer.from(JSON.stringify(body)), true);
  stream.release();
}

export const isLimited = (result: PhaseResult) => result.kind === 'immediate' && result.status === 429;

export function headerOf(result: PhaseResult, name: string): string | undefined {
  return (result as ImmediateResult).headers.find(([n]) => n === name)?.[1];
}

export function jsonOf(result: PhaseResult): Record<string, unknown> {
  return JSON.parse(Buffer.from((result as ImmediateResult).body).toString('utf8')) as Record<
    string,
    unknown
  >;
}
