// Messages between the router and its body-decoding worker thread (see off-loop-body-decoder.ts).
import type { LlmApi } from './apis/types.ts';
import type { Member } from './body-rewrite.ts';

export interface DecodeRequest {
  readonly id: number;
  /** The body, on a SharedArrayBuffer: the worker reads it in place and the router keeps it for the rewrite. */
  readonly bytes: Uint8Array;
  readonly api: LlmApi;
  readonly maxDepth: number;
}

export type DecodeReply =
  /** The parsed body and the request's prompt-token estimate (the two steps whose cost grows with the body). */
  | {
      readonly id: number;
      readonly kind: 'decoded';
      readonly body: Record<string, unknown>;
      readonly promptTokens: number;
      /** The body's top-level members and their byte ranges, for the rewrite (undefined: not one object). */
      readonly members: readonly Member[] | undefined;
      /** Memory with its pages touched for the body's rewrite (rewrite-space.ts); undefined: none to spare. */
      readonly rewriteSpace: SharedArrayBuffer | undefined;
    }
  /** The body is not a request the API accepts: the router answers this error as it would have in-loop. */
  | { readonly id: number; readonly kind: 'invalid'; readonly code: string; readonly message: string }
  /** Anything else went wrong in the worker: the router decodes the body itself. */
  | { readonly id: number; readonly kind: 'failed'; readonly message: string };
