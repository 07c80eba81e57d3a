// What bench/response-stage-cost.ts and its client process (bench/response-stage-client.ts) exchange: the servers to
// drive (on the command line, as JSON) and the measurements (on stdout, as JSON).

/**
 * What the server is and what the client expects of it:
 * - `tracked`: the router reading the answer; it added include_usage, so it answers every chunk with the bytes to
 *   forward (the usage-only frame left out) and the last one with the answer's facts as dynamic metadata;
 * - `tracked-own-usage`: the same router, the client asked for the usage itself: nothing rewritten, facts at the end;
 * - `untracked`: the router passing the answer through (STREAMED body, every chunk a bare CONTINUE);
 * - `skip-body`: the router with `response.read_body: false` (body mode NONE: Envoy sends no chunk);
 * - `noop`: the no-op server, sent every chunk; `noop-headers-only`: the no-op, sent no chunk.
 */
export type Variant =
  | 'tracked'
  | 'tracked-own-usage'
  | 'untracked'
  | 'skip-body'
  | 'noop'
  | 'noop-headers-only';

export interface TargetSpec {
  readonly name: string;
  readonly address: string;
  readonly pid: number;
  readonly variant: Variant;
}

export interface TargetResult {
  readonly name: string;
  readonly variant: Variant;
  readonly requests: number;
  readonly errors: number;
  readonly problems: Readonly<Record<string, number>>;
  readonly serverCpuMs: number;
  /** The server's main thread (the event loop: JavaScript, and GC work done there) alone. */
  readonly mainThreadCpuMs: number;
  /** Server CPU per request of each round (µs), to show the spread. */
  readonly roundCpuUsPerRequest: readonly number[];
  readonly wallMs: number;
  /** response_body messages sent per request (mean). */
  readonly bodyMessagesPerRequest: number;
}

export interface ClientResult {
  readonly frames: number;
  readonly bodyBytes: number;
  readonly concurrency: number;
  readonly targets: readonly TargetResult[];
  /** CPU of the whole machine while measuring, % of one core (2 cores: 200 %). */
  readonly machineBusyPercent: number;
  /** This client's CPU while measuring, % of one core. */
  readonly clientCpuPercent: number;
}

/**
 * Variants that send no body run this many times the requests per block: they cost ~1 % of a streamed one, and
 * a block of a few hundred ms would be at the mercy of 10 ms CPU ticks and stray GC.
 */
export const HEADERS_ONLY_FACTOR = 5;
