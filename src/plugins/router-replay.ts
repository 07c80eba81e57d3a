// `router_replay` (vLLM Semantic Router's plugin): keeps a record of each request its decision routes — decision,
// signals, model, pool, timings, status and usage; the bodies only when the policy asks (capture_request_body,
// capture_response_body, cut at max_body_bytes) — in a bounded in-memory ring of max_records per decision. The
// answer carries the record's id (x-vsr-replay-id); the admin server serves GET /replay and /replay/<id>.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HEADER } from '../headers.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { PluginDefinition, ResponsePhaseContext } from './plugin.ts';
import { plugin } from './plugin.ts';
import { REPLAY_RECORDS, type ReplayRecord, type ReplayStore } from './replay-store.ts';

const count = z.number().int().min(0);

const configSchema = z.strictObject({
  enabled: z.boolean().default(true),
  max_records: z.number().int().min(1, 'max_records must be at least 1').default(1000),
  capture_request_body: z.boolean().default(false),
  capture_response_body: z.boolean().default(false),
  max_body_bytes: z.number().int().min(1, 'max_body_bytes must be at least 1').default(4096),
  /** 0: no cap. */
  max_tool_trace_steps: count.default(0),
  /** The peer's cap on tool-trace text; accepted: the trace here holds roles and counts, no text. */
  max_tool_trace_bytes: count.default(0),
});

export type RouterReplayConfig = z.infer<typeof configSchema>;

/** Header names never recorded: credentials, whatever the client calls them. */
const CREDENTIAL_HEADER = /auth|cookie|key|token|secret|password|passwd|session|credential|signature/i;

/** Request headers worth replaying: no pseudo-headers, no credentials. */
export function replayableHeaders(headers: ReadonlyMap<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name.startsWith(':') || CREDENTIAL_HEADER.test(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/** The first `max` bytes of a body as text, and whether it was cut. */
function capture(bytes: Uint8Array, max: number): { body: string; body_truncated?: true } {
  const cut = bytes.length > max;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString('utf8');
  return cut ? { body: text, body_truncated: true } : { body: text };
}

/** One request's record in the making. */
interface Pending {
  readonly id: string;
  readonly chunks: Uint8Array[];
  bytes: number;
  truncated: boolean;
}

function toolTrace(context: RequestContext, maxSteps: number): ReplayRecord['request']['tool_trace'] {
  const steps = context.request.messages
    .filter((message) => message.role === 'tool' || message.toolCallCount > 0)
    .map((message) => ({ role: message.role, tool_calls: message.toolCallCount }));
  return maxSteps > 0 ? steps.slice(-maxSteps) : steps;
}

function recordOf(context: ResponsePhaseContext, pending: Pending, config: RouterReplayConfig): ReplayRecord {
  const { request, response } = context;
  const requestBody = request.bodyBytes ?? Buffer.from(JSON.stringify(request.request.body), 'utf8');
  const responseBody =
    pending.chunks.length === 1 ? (pending.chunks[0] as Uint8Array) : Buffer.concat(pending.chunks);
  return {
    id: pending.id,
    recorded_at: new Date().toISOString(),
    decision: { name: context.decision.name, confidence: context.decision.confidence },
    signals: (context.signals?.families ?? []).map((family) => ({
      family: family.family,
      duration_ms: Number(family.durationMs.toFixed(3)),
      matches: family.matches.map((match) => ({ name: match.name, confidence: match.confidence })),
      ...(family.error && { error: family.failure ?? 'error' }),
    })),
    model: { name: context.model.name, provider_model_id: context.model.providerModelId },
    pool: context.pool.name,
    request: {
      method: request.method,
      path: request.path,
      api: request.request.api,
      stream: request.request.stream,
      headers: replayableHeaders(request.headers),
      ...(config.capture_request_body && capture(requestBody, config.max_body_bytes)),
      tool_trace: toolTrace(request, config.max_tool_trace_steps),
    },
    response: {
      status: response.status ?? null,
      streaming: response.streaming,
      complete: response.complete,
      ttft_ms: response.ttftMs ?? null,
      latency_ms: response.latencyMs ?? null,
      usage: response.usage
        ? {
            prompt_tokens: response.usage.promptTokens,
            completion_tokens: response.usage.completionTokens,
            cached_prompt_tokens: response.usage.cachedPromptTokens,
            reasoning_tokens: response.usage.reasoningTokens,
          }
        : null,
      cost: response.cost ?? null,
      blocked: response.blocked ?? false,
      ...(config.capture_response_body && {
        body: Buffer.from(responseBody).toString('utf8'),
        ...(pending.truncated && { body_truncated: true }),
      }),
    },
  };
}

/** The plugin writing to `store` (tests give their own; the registry writes to the process's REPLAY_RECORDS). */
export function routerReplayDefinition(store: ReplayStore): PluginDefinition<RouterReplayConfig> {
  return {
    name: 'router_replay',
    configSchema,
    create: (config) => {
      if (!config.enabled) return plugin('router_replay', {});
      const pending = new WeakMap<RequestContext, Pending>();
      const pendingOf = (context: ResponsePhaseContext): Pending => {
        let found = pending.get(context.request);
        if (!found) {
          const id = context.request.headers.get(HEADER.requestId) ?? randomUUID();
          found = { id, chunks: [], bytes: 0, truncated: false };
          pending.set(context.request, found);
        }
        return found;
      };
      return plugin('router_replay', {
        onResponseHeaders: (context) => [[HEADER.vsrReplayId, pendingOf(context).id]],
        // Reading the body costs a copy per chunk: only when the policy asked for it.
        ...(config.capture_response_body && {
          onResponseBody: (context: ResponsePhaseContext, chunk: Uint8Array) => {
            const state = pendingOf(context);
            const room = config.max_body_bytes - state.bytes;
            if (room <= 0) {
              if (chunk.length > 0) state.truncated = true;
              return;
            }
            const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
            if (chunk.length > room) state.truncated = true;
            state.chunks.push(Buffer.from(kept));
            state.bytes += kept.length;
          },
        }),
        onStreamEnd: (context) => {
          const state = pendingOf(context);
          pending.delete(context.request);
          store.add(context.decision.name, config.max_records, recordOf(context, state, config));
        },
      });
    },
  };
}

export const routerReplayPlugin = routerReplayDefinition(REPLAY_RECORDS);
