// Messages between the load generator's main thread and its worker threads (structured-clone friendly).
import type { VerifyMode } from './ext-proc-exchange.ts';
import type { Expectation, SourceName } from './workload.ts';

/** A work item as it crosses the thread boundary (Buffers arrive as Uint8Arrays). */
export interface WireWorkItem {
  readonly source: SourceName;
  readonly model: string;
  readonly stream: boolean;
  readonly expect: Expectation;
  readonly bodyBytes: number;
  readonly messages: readonly Uint8Array[];
}

/** Which client plays Envoy: grpc-js (default) or hand-framed gRPC on node:http2 (cheaper per request). */
export type ClientKind = 'grpc-js' | 'http2';

export interface WorkerInit {
  readonly target: string;
  readonly client: ClientKind;
  readonly verify: VerifyMode;
  /** Indexes of this worker's connections among all of the generator's (used to keep them distinct). */
  readonly channelIndexes: readonly number[];
  /** This worker takes work items index, index + stride, …, so workers interleave over one fixed sequence. */
  readonly firstItem: number;
  readonly itemStride: number;
  readonly workload: readonly WireWorkItem[];
}

export interface PhaseCommand {
  readonly type: 'phase';
  readonly concurrency: number;
  /** Stop after this many requests … */
  readonly requests?: number;
  /** … or after this many seconds (requests in flight complete and count). */
  readonly seconds?: number;
}

export type WorkerCommand = PhaseCommand | { readonly type: 'close' };

/** What one worker measured in one phase. */
export interface PhaseSample {
  readonly durationsMs: Float64Array;
  readonly failures: number;
  readonly errors: number;
  readonly mismatches: number;
  readonly problems: readonly (readonly [string, number])[];
  /** x-selected-model (or rejection) → count, router targets only. */
  readonly routedTo: readonly (readonly [string, number])[];
}

export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'sample'; readonly sample: PhaseSample }
  | { readonly type: 'closed' }
  | { readonly type: 'failed'; readonly message: string };
