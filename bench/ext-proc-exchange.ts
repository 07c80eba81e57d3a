// Envoy's side of one ext_proc stream per simulated HTTP request (buffered request and response bodies),
// free of any transport: request_headers → request_body → response_headers → response_body, each sent after
// the previous answer, then half-close and wait for the server to close. Answers are checked as they arrive.
import type { BenchProcessingResponse, RequestPhase } from './ext-proc-proto.ts';
import type { WorkItem } from './workload.ts';

const PHASES: readonly RequestPhase[] = [
  'request_headers',
  'request_body',
  'response_headers',
  'response_body',
];

/** `noop`: every answer is a CONTINUE of the right phase; `router`: the body answer also routes. */
export type VerifyMode = 'noop' | 'router';

export interface StreamOutcome {
  readonly ok: boolean;
  /** Why the stream failed or which answer was wrong; short and free of prompt text. */
  readonly problem?: string;
  /** True when the failure is a wrong answer rather than a transport error. */
  readonly mismatch: boolean;
  readonly durationMs: number;
  /** The router's x-selected-model, or `rejected:<status>` for an immediate response to the body. */
  readonly routedTo?: string;
}

/** Runs simulated requests against one target; implementations own their connections. */
export interface ExtProcTransport {
  ready(): Promise<void>;
  /** Runs one simulated HTTP request. Never rejects. */
  run(item: WorkItem): Promise<StreamOutcome>;
  close(): void;
}

function headerValue(response: BenchProcessingResponse['request_body'], name: string): string | undefined {
  for (const option of response?.response?.header_mutation?.set_headers ?? []) {
    const header = option.header;
    if (header?.key !== name) continue;
    const value = header.raw_value?.length ? Buffer.from(header.raw_value).toString('utf8') : header.value;
    if (value) return value;
  }
  return undefined;
}

const hasHeader = (response: BenchProcessingResponse['request_body'], name: string) =>
  headerValue(response, name) !== undefined;

/** A policy's own answer (a block or a fast response): the router decided, nothing went upstream. */
function answeredByPolicy(answer: BenchProcessingResponse): boolean {
  const path = headerValue(
    { response: { header_mutation: answer.immediate_response?.headers } },
    'x-router-response-path',
  );
  return path === 'blocked' || path === 'fast_response';
}

/** Checks one answer; returns a problem description, or undefined when it is what the target must send. */
export function checkAnswer(
  phase: RequestPhase,
  answer: BenchProcessingResponse,
  item: WorkItem,
  mode: VerifyMode,
): string | undefined {
  const expectImmediate = mode === 'router' && phase === 'request_body' && item.expect === 'reject';
  if (mode === 'router' && phase === 'request_body' && answeredByPolicy(answer)) return undefined;
  if (expectImmediate)
    return answer.immediate_response ? undefined : `${phase}: expected an immediate response`;
  if (answer.immediate_response) return `${phase}: unexpected immediate response`;
  if (!answer[phase]) return `${phase}: answer of phase ${answer.response ?? 'none'}`;
  if (mode === 'noop') return undefined;
  if (phase === 'request_body') {
    if (!hasHeader(answer.request_body, 'x-selected-pool')) return 'request_body: no x-selected-pool';
    if (!hasHeader(answer.request_body, 'x-selected-model')) return 'request_body: no x-selected-model';
    if (!answer.request_body?.response?.clear_route_cache) return 'request_body: no clear_route_cache';
  }
  if (phase === 'response_headers' && item.stream && answer.mode_override?.response_body_mode !== 'STREAMED')
    return 'response_headers: SSE without response_body_mode STREAMED';
  return undefined;
}

/** The state of one stream's exchange: which answer comes next, what went wrong, where the request went. */
export class Exchange {
  private step = 0;
  private problem: string | undefined;
  private mismatch = false;
  private routedTo: string | undefined;
  private byPolicy = false;
  private readonly started = performance.now();

  constructor(
    private readonly item: WorkItem,
    private readonly mode: VerifyMode,
  ) {}

  /** Index into the item's messages of the one to send now. */
  get nextMessage(): number {
    return this.step;
  }

  /** Takes one answer; returns true when the next message should be sent, false when to half-close. */
  onAnswer(answer: BenchProcessingResponse): boolean {
    const phase = PHASES[this.step];
    if (!phase) {
      this.fail('answer after the last phase', true);
      return false;
    }
    if (this.mode === 'router' && phase === 'request_body') {
      this.byPolicy = answeredByPolicy(answer);
      this.routedTo = answer.immediate_response
        ? `rejected:${answer.immediate_response.status?.code ?? '?'}`
        : headerValue(answer.request_body, 'x-selected-model');
    }
    const wrong = checkAnswer(phase, answer, this.item, this.mode);
    if (wrong) this.fail(wrong, true);
    this.step++;
    // After an immediate response Envoy sends nothing more on this stream.
    return !wrong && !answer.immediate_response && this.step < PHASES.length;
  }

  /** A transport-level failure (gRPC status, reset, connection error). */
  onError(description: string): void {
    this.fail(description, false);
  }

  /** The server closed the stream cleanly: complete unless answers are missing. */
  finish(): StreamOutcome {
    const rejected =
      this.mode === 'router' && (this.item.expect === 'reject' || this.byPolicy) && this.step === 2;
    if (!this.problem && this.step < PHASES.length && !rejected)
      this.fail(`stream closed after ${this.step} answers`, true);
    return {
      ok: this.problem === undefined,
      ...(this.problem !== undefined && { problem: this.problem }),
      mismatch: this.mismatch,
      durationMs: performance.now() - this.started,
      ...(this.routedTo !== undefined && { routedTo: this.routedTo }),
    };
  }

  private fail(problem: string, mismatch: boolean): void {
    if (this.problem) return;
    this.problem = problem;
    this.mismatch = mismatch;
  }
}
