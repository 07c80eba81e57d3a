// A load-generator worker thread: owns a few connections to the target and runs its share of each phase's
// concurrent simulated requests, reporting raw per-request durations and failures to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { ExtProcTransport, StreamOutcome } from './ext-proc-exchange.ts';
import { loadExtProcDefinition } from './ext-proc-proto.ts';
import { GrpcJsTransport } from './grpc-js-transport.ts';
import { Http2Transport } from './http2-transport.ts';
import type { PhaseCommand, PhaseSample, WorkerCommand, WorkerInit, WorkerReply } from './worker-protocol.ts';
import type { WorkItem } from './workload.ts';

function toWorkItems(init: WorkerInit): WorkItem[] {
  return init.workload.map((item) => {
    const [a, b, c, d] = item.messages.map((bytes) =>
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    );
    if (!a || !b || !c || !d) throw new Error('a work item needs four messages');
    return { ...item, messages: [a, b, c, d] };
  });
}

function createTransport(init: WorkerInit): ExtProcTransport {
  const method = loadExtProcDefinition().process;
  return init.client === 'http2'
    ? new Http2Transport(init.target, init.channelIndexes.length, method, init.verify)
    : new GrpcJsTransport(init.target, init.channelIndexes, method, init.verify);
}

class PhaseRunner {
  private nextItem: number;

  constructor(
    private readonly init: WorkerInit,
    private readonly transport: ExtProcTransport,
    private readonly workload: readonly WorkItem[],
  ) {
    this.nextItem = init.firstItem;
  }

  async run(command: PhaseCommand): Promise<PhaseSample> {
    const durations: number[] = [];
    const problems = new Map<string, number>();
    const routedTo = new Map<string, number>();
    let started = 0;
    let failures = 0;
    let errors = 0;
    let mismatches = 0;
    const deadline = performance.now() + (command.seconds ?? Number.POSITIVE_INFINITY) * 1000;
    const more = () =>
      command.requests !== undefined ? started < command.requests : performance.now() < deadline;
    const record = (outcome: StreamOutcome) => {
      durations.push(outcome.durationMs);
      if (outcome.routedTo) routedTo.set(outcome.routedTo, (routedTo.get(outcome.routedTo) ?? 0) + 1);
      if (outcome.ok) return;
      failures++;
      if (outcome.mismatch) mismatches++;
      else errors++;
      const problem = outcome.problem ?? 'unknown';
      problems.set(problem, (problems.get(problem) ?? 0) + 1);
    };
    const loop = async () => {
      while (more()) {
        started++;
        const index = this.nextItem;
        this.nextItem += this.init.itemStride;
        record(await this.transport.run(this.workload[index % this.workload.length] as WorkItem));
      }
    };
    await Promise.all(Array.from({ length: command.concurrency }, loop));
    return {
      durationsMs: Float64Array.from(durations),
      failures,
      errors,
      mismatches,
      problems: [...problems],
      routedTo: [...routedTo],
    };
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('generator-worker must run as a worker thread');
  const init = workerData as WorkerInit;
  const transport = createTransport(init);
  const reply = (message: WorkerReply) => port.postMessage(message);
  try {
    await transport.ready();
  } catch (error) {
    reply({ type: 'failed', message: `cannot connect to ${init.target}: ${(error as Error).message}` });
    return;
  }
  const runner = new PhaseRunner(init, transport, toWorkItems(init));
  port.on('message', (command: WorkerCommand) => {
    if (command.type === 'close') {
      transport.close();
      reply({ type: 'closed' });
      port.close();
      return;
    }
    runner.run(command).then(
      (sample) => reply({ type: 'sample', sample }),
      (error: unknown) => reply({ type: 'failed', message: (error as Error).message }),
    );
  });
  reply({ type: 'ready' });
}

await main();
