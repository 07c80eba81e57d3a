// The default transport: grpc-js clients on the project's proto, a few HTTP/2 connections as Envoy holds.
import * as grpc from '@grpc/grpc-js';
import { Exchange, type ExtProcTransport, type StreamOutcome, type VerifyMode } from './ext-proc-exchange.ts';
import type { BenchProcessingResponse, ProcessMethod } from './ext-proc-proto.ts';
import type { WorkItem } from './workload.ts';

const FLOW_CONTROL_WINDOW = 64 * 1024 * 1024;

/** Resolves when every client's channel is connected (10 s at most). */
export async function allReady(clients: readonly grpc.Client[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve, reject) =>
          client.waitForReady(deadline, (error) => (error ? reject(error) : resolve())),
        ),
    ),
  );
}

// Messages are pre-serialized: pass them through; answers are decoded with the proto's deserializer.
const passThrough = (message: Buffer): Buffer => message;

export class GrpcJsTransport implements ExtProcTransport {
  private readonly clients: grpc.Client[];
  private next = 0;

  constructor(
    target: string,
    channelIndexes: readonly number[],
    private readonly method: ProcessMethod,
    private readonly mode: VerifyMode,
  ) {
    this.clients = channelIndexes.map(
      (index) =>
        new grpc.Client(target, grpc.credentials.createInsecure(), {
          // A private subchannel pool per client: each is its own HTTP/2 connection, like Envoy's workers.
          'grpc.use_local_subchannel_pool': 1,
          'bench.channel_index': index,
          'grpc.max_receive_message_length': 64 * 1024 * 1024,
          // Envoy's HTTP/2 windows are large (256 MiB by default): answers carrying a rewritten long body must
          // not wait for WINDOW_UPDATEs on the generator's side.
          'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
        }),
    );
  }

  ready(): Promise<void> {
    return allReady(this.clients);
  }

  run(item: WorkItem): Promise<StreamOutcome> {
    const client = this.clients[this.next++ % this.clients.length] as grpc.Client;
    const exchange = new Exchange(item, this.mode);
    return new Promise((resolve) => {
      const call = client.makeBidiStreamRequest<Buffer, BenchProcessingResponse>(
        this.method.path,
        passThrough,
        this.method.responseDeserialize,
      );
      call.on('data', (answer: BenchProcessingResponse) => {
        if (exchange.onAnswer(answer)) call.write(item.messages[exchange.nextMessage] as Buffer);
        else call.end();
      });
      call.on('error', (error: grpc.ServiceError) => {
        exchange.onError(`grpc ${grpc.status[error.code] ?? error.code}: ${error.details}`);
      });
      call.on('status', () => resolve(exchange.finish()));
      call.write(item.messages[0]);
    });
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
