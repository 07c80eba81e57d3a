// Baseline for the benchmark: an ext_proc server on the router's gRPC stack that answers every message with
// an empty CONTINUE of the matching phase.
// Usage: node --import tsx bench/noop-ext-proc-server.ts [--port 0] [--host 127.0.0.1]
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import {
  type BenchProcessingRequest,
  type BenchProcessingResponse,
  loadExtProcDefinition,
  type ProcessingCase,
  SERVER_OPTIONS,
} from './ext-proc-proto.ts';

type Stream = grpc.ServerDuplexStream<BenchProcessingRequest, BenchProcessingResponse>;

// Pre-built answers: the no-op does no work per message beyond gRPC itself.
const ANSWERS: Readonly<Record<ProcessingCase, BenchProcessingResponse>> = {
  request_headers: { request_headers: { response: {} } },
  request_body: { request_body: { response: {} } },
  response_headers: { response_headers: { response: {} } },
  response_body: { response_body: { response: {} } },
  request_trailers: { request_trailers: {} },
  response_trailers: { response_trailers: {} },
};

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields })}\n`,
  );
}

function handleStream(call: Stream): void {
  call.on('data', (message: BenchProcessingRequest) => {
    const answer = message.request ? ANSWERS[message.request] : undefined;
    if (answer) call.write(answer);
  });
  call.on('end', () => call.end());
  call.on('error', () => {});
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const { service } = loadExtProcDefinition();
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(service, { Process: (call: Stream) => handleStream(call) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${values.host}:${values.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  log('noop ext_proc listening', { port });
  const stop = (signal: string) => {
    log('shutting down', { signal });
    const timer = setTimeout(() => server.forceShutdown(), 2_000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      log('stopped');
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
