// The contract of per-decision plugins: asynchronous hooks for the phases a plugin acts in, each given the whole
// routing context. A request hook may answer the client (ending the request before model and pool choice) or change
// the upstream request; response hooks see the upstream's answer as the response stage read it.
import type { ExtensionDefinition } from '../extension.ts';
import type { HeaderPair } from '../mutations.ts';
import type { CompiledModel, CompiledModelRef, CompiledPool } from '../policy/policy.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { SignalReport } from '../signals/signal-engine.ts';
import type { SharedStore } from '../state/shared-store.ts';
import type { PluginDeps } from './plugin-deps.ts';

export type PluginPhase = 'request' | 'response_headers' | 'response_body' | 'stream_end';

/** A request hook's answer to the client: the request ends here. */
export interface RespondEffect {
  readonly kind: 'respond';
  readonly responsePath: 'fast_response' | 'blocked' | 'cache';
  readonly status: number;
  readonly message: string;
  /** A whole answer to send as it is (the response cache's stored answer) instead of one built from `message`. */
  readonly answer?: LocalAnswer;
}

/** An answer body a plugin built itself, in the request API's shape. */
export interface LocalAnswer {
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly headers: readonly HeaderPair[];
}

/** A request hook's change to the upstream request. */
export interface RewriteEffect {
  readonly kind: 'rewrite';
  /** Replaces top-level members of a shallow copy of the body (never mutates nested values in place). */
  readonly patchBody?: (body: Record<string, unknown>) => void;
  /** Request headers for the upstream. */
  readonly setHeaders?: readonly HeaderPair[];
  readonly removeHeaders?: readonly string[];
}

export type PluginEffect = RespondEffect | RewriteEffect;

/** What a request hook sees: the request, its signals and the winning decision (the model is chosen after). */
export interface RequestPhaseContext {
  readonly request: RequestContext;
  readonly signals: SignalReport | undefined;
  readonly decision: { readonly name: string; readonly confidence: number };
  readonly modelRefs: readonly CompiledModelRef[];
  /** The state store replicas share (plugins that keep per-user state); absent outside the router. */
  readonly store?: SharedStore;
  /** Attributes for the running plugin's span (outcomes and figures, never prompt text). */
  readonly note?: (attributes: Readonly<Record<string, string | number | boolean>>) => void;
}

/** The upstream's answer as the response stage has read it so far. */
export interface ResponseState {
  readonly status: number | undefined;
  readonly streaming: boolean;
  /** Set once the body was read to its end. */
  readonly complete: boolean;
  readonly usage?: {
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly cachedPromptTokens: number;
    readonly reasoningTokens: number;
  };
  readonly ttftMs?: number;
  readonly latencyMs?: number;
  readonly cost?: number;
  /** A response plugin blocked the answer: the client got the router's error answer, or the stream was cut. */
  readonly blocked?: boolean;
}

/** What response hooks see: the routed request and the answer so far. */
export interface ResponsePhaseContext extends Omit<RequestPhaseContext, 'modelRefs'> {
  readonly model: CompiledModel;
  readonly pool: CompiledPool;
  readonly response: ResponseState;
  /** Response headers as the upstream sent them (lower-case names). */
  readonly responseHeaders: ReadonlyMap<string, string>;
}

/**
 * A response body hook's action on the answer. `annotate`: headers for the client (applied only while Envoy still
 * holds the response headers, i.e. a BUFFERED answer) and, for a BUFFERED answer, a replacement body. `block`: the
 * answer must not reach the client: a BUFFERED one is replaced by an error answer in the request API's shape, a
 * streamed one is cut here with a well-formed error frame (the chunks already sent stay sent).
 */
export type ResponseBodyEffect =
  | {
      readonly kind: 'annotate';
      readonly setHeaders?: readonly HeaderPair[];
      /** The whole new body of a BUFFERED answer (ignored for a streamed one). */
      readonly body?: Uint8Array;
    }
  | { readonly kind: 'block'; readonly message: string };

export interface DecisionPlugin {
  readonly type: string;
  readonly phases: ReadonlySet<PluginPhase>;
  onRequest?(context: RequestPhaseContext): PluginEffect | undefined | Promise<PluginEffect | undefined>;
  /** Headers to set on the client's response. */
  onResponseHeaders?(
    context: ResponsePhaseContext,
  ): readonly HeaderPair[] | undefined | Promise<readonly HeaderPair[] | undefined>;
  /**
   * A body chunk is on its way to the client (the whole body of a BUFFERED answer). The hook may act on the answer
   * (ResponseBodyEffect); undefined lets the chunk through unchanged.
   */
  onResponseBody?(
    context: ResponsePhaseContext,
    chunk: Uint8Array,
    endOfStream: boolean,
  ): ResponseBodyEffect | undefined | Promise<ResponseBodyEffect | undefined> | void | Promise<void>;
  /** onResponseBody does nothing with a streamed (SSE) answer: Envoy need not send it the stream's chunks. */
  readonly ignoresStreamedBody?: boolean;
  /** The stream ended (complete, cancelled or failed); `context.response.complete` tells which. */
  onStreamEnd?(context: ResponsePhaseContext): void | Promise<void>;
}

/** A plugin factory receives the load's PluginDeps (policy directory, shared sessions, a warning channel). */
export type PluginDefinition<Config = unknown> = ExtensionDefinition<Config, DecisionPlugin, PluginDeps>;

/** A plugin's phases from the hooks it has. */
export function phasesOf(plugin: Omit<DecisionPlugin, 'type' | 'phases'>): ReadonlySet<PluginPhase> {
  const phases = new Set<PluginPhase>();
  if (plugin.onRequest) phases.add('request');
  if (plugin.onResponseHeaders) phases.add('response_headers');
  if (plugin.onResponseBody) phases.add('response_body');
  if (plugin.onStreamEnd) phases.add('stream_end');
  return phases;
}

/** A plugin whose phases are those of its hooks. */
export function plugin(type: string, hooks: Omit<DecisionPlugin, 'type' | 'phases'>): DecisionPlugin {
  return { type, phases: phasesOf(hooks), ...hooks };
}
