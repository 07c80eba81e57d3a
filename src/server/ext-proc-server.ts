// The gRPC server: envoy.service.ext_proc.v3.ExternalProcessor plus grpc.health.v1, with graceful shutdown.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import type { PhaseResult } from '../mutations.ts';
import { findPackageFile } from '../package-files.ts';
import type { RequestRouter } from '../pipeline.ts';
import { errorFields, type Logger } from '../telemetry/logger.ts';
import { noopTelemetry, type Telemetry } from '../telemetry/noop-telemetry.ts';
import type { TraceCarrier } from '../telemetry/trace-context.ts';
import type { ProcessingRequest, ProcessingResponse } from './ext-proc-messages.ts';
import { StreamProcessor, type StreamProcessorOptions } from './stream-processor.ts';
import { type Phase, readHeaderMap, toProcessingResponse, trailersResponse } from './wire.ts';

const PROTO_DIR = path.dirname(findPackageFile('proto/envoy'));
export const EXT_PROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';

/** The project's ext_proc protos as the server loads them (keepCase: field names as on the wire). */
export function loadExtProcPackage(): protoLoader.PackageDefinition {
  return protoLoader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
}

/** gRPC server options of the router, shared with the benchmark's no-op server so both run the same stack. */
export const EXT_PROC_SERVER_OPTIONS: grpc.ServerOptions = {
  // Envoy multiplexes many ext_proc streams on one HTTP/2 connection.
  'grpc.max_concurrent_streams': 10_000,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

function loadExtProcService(): grpc.ServiceDefinition {
  const loaded = grpc.loadPackageDefinition(loadExtProcPackage()) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
  };
  return loaded.envoy.service.ext_proc.v3.ExternalProcessor.service;
}

export interface ExtProcServerOptions
  extends Omit<StreamProcessorOptions, 'onUnexpectedError' | 'telemetry'> {
  /** The router for a new stream: the policy generation current when the stream starts serves all of it. */
  readonly leaseRouter: () => { readonly router: RequestRouter; release(): void };
  readonly logger: Logger;
  /** How long in-flight streams may take to finish on shutdown before they are cancelled. */
  readonly shutdownGraceMs: number;
  /** Spans and metrics of the streams; default noopTelemetry. */
  readonly telemetry?: Telemetry;
}

/** The stream's gRPC metadata as a trace-context carrier (Envoy sends `traceparent` there when tracing). */
function metadataCarrier(metadata: grpc.Metadata): TraceCarrier {
  return (name) => {
    const value = metadata.get(name)[0];
    return value === undefined ? undefined : value.toString();
  };
}

type ProcessStream = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

export class ExtProcServer {
  private readonly server = new grpc.Server(EXT_PROC_SERVER_OPTIONS);
  private readonly health = new HealthImplementation({
    '': 'NOT_SERVING',
    [EXT_PROC_SERVICE]: 'NOT_SERVING',
  });
  private readonly streams = new Set<ProcessStream>();
  private port = 0;

  constructor(private readonly options: ExtProcServerOptions) {
    this.server.addService(loadExtProcService(), {
      Process: (call: ProcessStream) => this.handleStream(call),
    });
    this.health.addToServer(this.server);
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  async listen(address: string): Promise<number> {
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    this.health.setStatus('', 'SERVING');
    this.health.setStatus(EXT_PROC_SERVICE, 'SERVING');
    return this.port;
  }

  /** Stops accepting streams, lets in-flight ones finish within the grace period, then cancels the rest. */
  async close(): Promise<void> {
    this.health.setStatus('', 'NOT_SERVING');
    this.health.setStatus(EXT_PROC_SERVICE, 'NOT_SERVING');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.warn('shutdown grace period over, cancelling streams', {
          streams: this.streams.size,
        });
        this.server.forceShutdown();
        resolve();
      }, this.options.shutdownGraceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private handleStream(call: ProcessStream): void {
    const logger = this.options.logger;
    this.streams.add(call);
    const lease = this.options.leaseRouter();
    const telemetry = this.options.telemetry ?? noopTelemetry;
    const streamTelemetry = telemetry.startStream(
      telemetry.tracingEnabled ? metadataCarrier(call.metadata) : undefined,
    );
    // Log lines of this stream carry its trace and span ids (once its span exists).
    const fields = (error: unknown) => ({ ...errorFields(error), ...streamTelemetry.logFields() });
    const processor = new StreamProcessor(lease.router, {
      maxBodyBytes: this.options.maxBodyBytes,
      failOpen: this.options.failOpen,
      onUnexpectedError: (error) => logger.error('unexpected routing failure', fields(error)),
      telemetry: streamTelemetry,
    });
    // Envoy expects answers in message order; body handling is async, so messages are processed one at a time.
    let queue: Promise<void> = Promise.resolve();
    let closed = false;
    const release = (streamFailed = false) => {
      if (closed) return;
      closed = true;
      this.streams.delete(call);
      processor.release(streamFailed);
      lease.release();
    };
    call.on('data', (message: ProcessingRequest) => {
      queue = queue.then(async () => {
        if (closed) return;
        try {
          const response = await this.process(processor, message);
          if (response && !closed && !message.observability_mode) call.write(response);
        } catch (error) {
          // Only a bug gets here (stages answer errors as immediate responses): end this stream, keep the others.
          logger.error('ext_proc message failed', fields(error));
          call.destroy(error as Error);
          release(true);
        }
      });
    });
    call.on('end', () => {
      void queue.then(() => {
        if (!closed) call.end();
        release();
      });
    });
    // grpc-js reports a client's cancel (and Envoy closing the stream) as `cancelled`: not an error.
    call.on('cancelled', () => release());
    call.on('error', (error: Error & { code?: number }) => {
      const failed = error.code !== grpc.status.CANCELLED;
      if (failed) logger.warn('ext_proc stream error', fields(error));
      release(failed);
    });
  }

  private async process(
    processor: StreamProcessor,
    message: ProcessingRequest,
  ): Promise<ProcessingResponse | undefined> {
    const answer = (phase: Phase, result: PhaseResult) => toProcessingResponse(phase, result);
    switch (message.request) {
      case 'request_headers':
        return answer(
          'request_headers',
          processor.onRequestHeaders(
            readHeaderMap(message.request_headers?.headers),
            message.request_headers?.end_of_stream ?? false,
          ),
        );
      case 'request_body':
        return answer(
          'request_body',
          await processor.onRequestBody(
            message.request_body?.body ?? new Uint8Array(),
            message.request_body?.end_of_stream ?? false,
          ),
        );
      case 'response_headers':
        return answer(
          'response_headers',
          processor.onResponseHeaders(readHeaderMap(message.response_headers?.headers)),
        );
      case 'response_body':
        return answer(
          'response_body',
          processor.onResponseBody(message.response_body?.end_of_stream ?? false),
        );
      case 'request_trailers':
      case 'response_trailers':
        return trailersResponse(message.request);
      default:
        this.options.logger.warn('ext_proc message without a known request case');
        return undefined;
    }
  }
}
