// The gRPC server: envoy.service.ext_proc.v3.ExternalProcessor plus grpc.health.v1, with graceful shutdown.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { PhaseResult } from '../mutations.ts';
import { findPackageFile } from '../package-files.ts';
import type { RequestRouter } from '../pipeline.ts';
import { errorFields, type Logger } from '../telemetry/logger.ts';
import { ERROR_REASON } from '../telemetry/metric-names.ts';
import { noopTelemetry, type Telemetry } from '../telemetry/noop-telemetry.ts';
import type { TraceCarrier } from '../telemetry/trace-context.ts';
import { capRequestHeaders } from './bounded-headers.ts';
import type { ProcessingRequest, ProcessingResponse } from './ext-proc-messages.ts';
import { HealthService } from './health-service.ts';
import { readFilterMetadata } from './proto-struct.ts';
import { decodeProcessingRequest } from './request-decoder.ts';
import { encodeAnswerInSlices, encodeTrailersResponse } from './response-encoder.ts';
import { StreamProcessor, type StreamProcessorOptions } from './stream-processor.ts';
import { type Phase, readHeaderMap } from './wire.ts';

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

/**
 * The ext_proc service whose request deserializer decodes no more than `maxHeaders() + 2` request headers of a
 * message (see bounded-headers.ts); such a message is marked `headers_truncated`. Messages as Envoy sends them are
 * decoded by request-decoder.ts, anything else by proto-loader.
 */
function loadExtProcService(maxHeaders: () => number): grpc.ServiceDefinition {
  const loaded = grpc.loadPackageDefinition(loadExtProcPackage()) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
  };
  const service = loaded.envoy.service.ext_proc.v3.ExternalProcessor.service;
  const process = service.Process as grpc.MethodDefinition<ProcessingRequest, ProcessingResponse>;
  const decode = process.requestDeserialize;
  const answers: grpc.MethodDefinition<ProcessingRequest, Buffer> = {
    ...process,
    // Answers arrive as wire bytes (response-encoder.ts).
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
  };
  return {
    ...service,
    Process: {
      ...answers,
      requestDeserialize: (bytes: Buffer) => {
        // More than `maxHeaders() + 1` headers go to the capping path below, which marks the message truncated.
        const fast = decodeProcessingRequest(bytes, { maxHeaders: maxHeaders() + 1, decodeFull: decode });
        if (fast !== undefined) return fast;
        const capped = capRequestHeaders(bytes, maxHeaders());
        const message = decode(capped.bytes as Buffer);
        if (capped.truncated) message.headers_truncated = true;
        return message;
      },
    },
  };
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
  /** The live policy's request header limit: more headers than this are not even decoded. */
  readonly maxRequestHeaders?: () => number;
}

/** Envoy's own default max_headers_count. */
const DEFAULT_MAX_HEADERS = 100;

/** The stream's gRPC metadata as a trace-context carrier (Envoy sends `traceparent` there when tracing). */
function metadataCarrier(metadata: grpc.Metadata): TraceCarrier {
  return (name) => {
    const value = metadata.get(name)[0];
    return value === undefined ? undefined : value.toString();
  };
}

type ProcessStream = grpc.ServerDuplexStream<ProcessingRequest, Buffer>;

/** A stream the router ends itself with a gRPC status (not a failure reported by grpc-js). */
class RouterEndedStream extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Ends a stream with a status Envoy sees at once. grpc-js sends the status of an `error` event on a server stream
 * (`destroy()` would drop it and leave Envoy waiting for its message timeout).
 */
function endWithStatus(call: ProcessStream, code: grpc.status, message: string): void {
  call.emit('error', new RouterEndedStream(code, message));
}

/**
 * Logs a failure of a stream the router has let go. Made out here: a closure made inside handleStream would keep
 * that call's whole scope (processor, routing results) reachable from the call.
 */
function lateErrorLogger(
  logger: Logger,
  ids: Readonly<Record<string, string>>,
): (error: Error & { code?: number }) => void {
  return (error) => {
    if (!(error instanceof RouterEndedStream) && error.code !== grpc.status.CANCELLED)
      logger.warn('ext_proc stream error', { ...errorFields(error), ...ids });
  };
}

/** What process() returns for a ProcessingRequest with no phase the router knows. */
const UNKNOWN_MESSAGE = Symbol('unknown ext_proc message');

export class ExtProcServer {
  private readonly server = new grpc.Server(EXT_PROC_SERVER_OPTIONS);
  private readonly health = new HealthService({
    '': 'NOT_SERVING',
    [EXT_PROC_SERVICE]: 'NOT_SERVING',
  });
  /**
   * Streams open now. A count, not a Set of calls: a Set's table, once the Set is old, keeps every call it held
   * when it was resized alive until the next full collection (see handleStream).
   */
  private openStreams = 0;
  /** One line per answered request (policy `response.access_log`): names, tokens, timing, cost; never text. */
  private readonly accessLogger: Logger;
  private port = 0;

  constructor(private readonly options: ExtProcServerOptions) {
    // grpc-js writes its own diagnostics (e.g. "No address added") to stderr as plain text: keep the log JSON.
    const grpcLog = (...args: unknown[]) =>
      options.logger.warn('grpc-js', { detail: args.map((a) => String(a)).join(' ') });
    grpc.setLogger({ error: grpcLog, info: grpcLog, debug: grpcLog });
    grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
    this.accessLogger = options.logger.child({ component: 'access' });
    const service = loadExtProcService(options.maxRequestHeaders ?? (() => DEFAULT_MAX_HEADERS));
    this.server.addService(service, {
      Process: (call: ProcessStream) => this.handleStream(call),
    });
    this.health.addToServer(this.server);
  }

  get activeStreams(): number {
    return this.openStreams;
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
          streams: this.openStreams,
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
    this.openStreams++;
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
      onPluginError: (error) => logger.warn('response plugin failed', fields(error)),
      accessLog: (entry) => this.accessLogger.info('request', entry),
      telemetry: streamTelemetry,
    });
    // Envoy expects answers in message order; body handling is async, so messages are processed one at a time.
    let queue: Promise<void> = Promise.resolve();
    let closed = false;
    const onData = (message: ProcessingRequest) => {
      queue = queue.then(async () => {
        if (closed) return;
        try {
          const response = await this.process(processor, message);
          if (response === UNKNOWN_MESSAGE) {
            // A phase this router does not know (a newer Envoy): Envoy would wait for an answer until its message
            // timeout; end the stream at once so its failure_mode applies now.
            logger.warn('ext_proc message without a known request case', streamTelemetry.logFields());
            telemetry.metrics.error(ERROR_REASON.unknownMessage);
            release(true);
            endWithStatus(
              call,
              grpc.status.INVALID_ARGUMENT,
              'ProcessingRequest sets no request phase this router knows',
            );
            return;
          }
          if (response && !closed && !message.observability_mode) call.write(response);
        } catch (error) {
          // Only a bug gets here (stages answer errors as immediate responses): end this stream, keep the others.
          logger.error('ext_proc message failed', fields(error));
          release(true);
          endWithStatus(call, grpc.status.INTERNAL, 'the router failed to process this message');
        }
      });
    };
    const onEnd = () => {
      void queue.then(() => {
        if (!closed) call.end();
        release();
      });
    };
    // grpc-js reports a client's cancel (and Envoy closing the stream) as `cancelled`: not an error.
    const onCancelled = () => release();
    const onError = (error: Error & { code?: number }) => {
      if (error instanceof RouterEndedStream) return;
      const failed = error.code !== grpc.status.CANCELLED;
      if (failed) logger.warn('ext_proc stream error', fields(error));
      release(failed);
    };
    const release = (streamFailed = false) => {
      if (closed) return;
      closed = true;
      this.openStreams--;
      processor.release(streamFailed);
      lease.release();
      // The call outlives the stream: Node's http2 session keeps each stream in a Map whose old tables, once the
      // Map is in the old generation, hold the streams they had until the next full collection, and every young
      // collection copies (then promotes) all a held stream reaches. Without these listeners that is grpc-js's
      // part only, not this stream's processor, parsed body and routing results: about half of the router's
      // promoted bytes under load. grpc-js's own `error` listener stays and answers a later error with a status;
      // a later failure is still logged, with the ids the stream had.
      call.off('data', onData);
      call.off('end', onEnd);
      call.off('cancelled', onCancelled);
      call.off('error', onError);
      call.on('error', lateErrorLogger(logger, streamTelemetry.logFields()));
    };
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('cancelled', onCancelled);
    call.on('error', onError);
  }

  private async process(
    processor: StreamProcessor,
    message: ProcessingRequest,
  ): Promise<Buffer | typeof UNKNOWN_MESSAGE> {
    // A large body (a rewritten multi-megabyte request) is copied into the answer a slice per event-loop turn.
    const answer = (phase: Phase, result: PhaseResult) => encodeAnswerInSlices(phase, result);
    // Envoy forwards the namespaces of metadata_options with the messages (identity claims from jwt_authn).
    if (message.metadata_context?.filter_metadata)
      processor.setMetadata(readFilterMetadata(message.metadata_context));
    switch (message.request) {
      case 'request_headers': {
        const { headers, overLimit } = readHeaderMap(
          message.request_headers?.headers,
          processor.headerLimits,
          message.headers_truncated === true,
        );
        return answer(
          'request_headers',
          processor.onRequestHeaders(headers, message.request_headers?.end_of_stream ?? false, overLimit),
        );
      }
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
          await processor.onResponseHeaders(readHeaderMap(message.response_headers?.headers).headers),
        );
      case 'response_body':
        return answer(
          'response_body',
          await processor.onResponseBody(
            message.response_body?.body ?? new Uint8Array(),
            message.response_body?.end_of_stream ?? false,
          ),
        );
      case 'request_trailers':
      case 'response_trailers':
        return encodeTrailersResponse(message.request);
      default:
        return UNKNOWN_MESSAGE;
    }
  }
}
