// What the router wants Envoy to do after each ext_proc phase, as plain data; src/server/wire.ts speaks protobuf.

export type HeaderPair = readonly [name: string, value: string];

export type BodyMode = 'NONE' | 'STREAMED' | 'BUFFERED';

/** Envoy dynamic metadata: namespace → flat values (access logs and later filters read them). */
export type DynamicMetadata = Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;

/** Let the request or response go on, possibly changed. */
export interface ContinueResult {
  readonly kind: 'continue';
  readonly setHeaders?: readonly HeaderPair[];
  readonly removeHeaders?: readonly string[];
  /** Replacement body (the whole body for BUFFERED; this chunk for STREAMED). */
  readonly body?: Uint8Array;
  /** Drop this chunk (used while accumulating a STREAMED request body). */
  readonly clearBody?: boolean;
  /** Ask Envoy to re-pick the route because headers it routes on changed. */
  readonly clearRouteCache?: boolean;
  readonly modeOverride?: { readonly requestBodyMode?: BodyMode; readonly responseBodyMode?: BodyMode };
  readonly dynamicMetadata?: DynamicMetadata;
}

/** Answer the client directly; nothing goes upstream. */
export interface ImmediateResult {
  readonly kind: 'immediate';
  readonly status: number;
  readonly headers: readonly HeaderPair[];
  readonly body: Uint8Array;
  /** Short reason for Envoy's access log (`%RESPONSE_CODE_DETAILS%`). */
  readonly details: string;
  readonly dynamicMetadata?: DynamicMetadata;
}

export type PhaseResult = ContinueResult | ImmediateResult;

export const CONTINUE: ContinueResult = { kind: 'continue' };
