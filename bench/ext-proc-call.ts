// One ext_proc bidi stream driven the way Envoy drives it: send a message, wait for its answer. Shared by the
// benchmarks that play Envoy over real gRPC (bench/ext-proc-player.ts, bench/response-stage-client.ts).
import * as grpc from '@grpc/grpc-js';
import type { BenchProcessingResponse } from './ext-proc-proto.ts';

export class ExtProcCall<Request> {
  private readonly answers: BenchProcessingResponse[] = [];
  private waiter: ((answer: BenchProcessingResponse | Error) => void) | undefined;
  private failure: Error | undefined;
  readonly done: Promise<void>;

  constructor(private readonly call: grpc.ClientDuplexStream<Request, BenchProcessingResponse>) {
    call.on('data', (answer: BenchProcessingResponse) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter) waiter(answer);
      else this.answers.push(answer);
    });
    this.done = new Promise((resolve) => {
      call.on('error', (error: grpc.ServiceError) => {
        this.failure = new Error(`ext_proc: grpc ${grpc.status[error.code] ?? error.code}: ${error.details}`);
        this.waiter?.(this.failure);
        this.waiter = undefined;
      });
      call.on('status', () => resolve());
    });
  }

  send(message: Request): Promise<BenchProcessingResponse> {
    const answer = new Promise<BenchProcessingResponse>((resolve, reject) => {
      const queued = this.answers.shift();
      if (queued) resolve(queued);
      else if (this.failure) reject(this.failure);
      else this.waiter = (a) => (a instanceof Error ? reject(a) : resolve(a));
    });
    this.call.write(message);
    return answer;
  }

  async close(): Promise<void> {
    this.call.end();
    await this.done;
  }
}
