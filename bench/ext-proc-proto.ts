// The ext_proc service loaded from the project's proto exactly as the router loads it, plus the few message
// shapes the benchmark reads and writes (proto-loader options: keepCase, enums as strings, named oneofs).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { EXT_PROC_SERVER_OPTIONS, loadExtProcPackage } from '../src/server/ext-proc-server.ts';

/** The repository root, whether this runs from bench/ (tsx) or dist/bench/ (compiled). */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const REPO_ROOT = findRepoRoot();

export interface BenchHeaderValue {
  key: string;
  value?: string;
  raw_value?: Uint8Array;
}

export interface BenchHeaderMutation {
  set_headers?: { header?: BenchHeaderValue }[];
  remove_headers?: string[];
}

export interface BenchCommonResponse {
  status?: string;
  header_mutation?: BenchHeaderMutation;
  body_mutation?: { body?: Uint8Array; clear_body?: boolean };
  clear_route_cache?: boolean;
}

export type RequestPhase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body';

export type ProcessingCase = RequestPhase | 'request_trailers' | 'response_trailers';

export interface BenchProcessingRequest {
  /** The oneof case (set on decoded messages with `oneofs: true`). */
  request?: ProcessingCase;
  request_headers?: { headers: { headers: BenchHeaderValue[] }; end_of_stream?: boolean };
  response_headers?: { headers: { headers: BenchHeaderValue[] }; end_of_stream?: boolean };
  request_body?: { body: Uint8Array; end_of_stream: boolean };
  response_body?: { body: Uint8Array; end_of_stream: boolean };
  protocol_config?: { request_body_mode?: string; response_body_mode?: string };
}

export interface BenchProcessingResponse {
  response?: ProcessingCase | 'immediate_response';
  request_headers?: { response?: BenchCommonResponse };
  request_body?: { response?: BenchCommonResponse };
  response_headers?: { response?: BenchCommonResponse };
  response_body?: { response?: BenchCommonResponse };
  request_trailers?: { header_mutation?: BenchHeaderMutation };
  response_trailers?: { header_mutation?: BenchHeaderMutation };
  immediate_response?: {
    status?: { code?: number | string };
    headers?: BenchHeaderMutation;
    body?: Uint8Array;
  };
  mode_override?: { request_body_mode?: string; response_body_mode?: string };
  /** google.protobuf.Struct of the router's facts for Envoy's access log (decoded as proto-loader does). */
  dynamic_metadata?: unknown;
}

/** The `Process` method definition (path, serializers) of envoy.service.ext_proc.v3.ExternalProcessor. */
export type ProcessMethod = protoLoader.MethodDefinition<BenchProcessingRequest, BenchProcessingResponse>;

export interface ExtProcDefinition {
  readonly service: grpc.ServiceDefinition;
  readonly process: ProcessMethod;
}

export function loadExtProcDefinition(): ExtProcDefinition {
  const definition = loadExtProcPackage();
  const service = definition['envoy.service.ext_proc.v3.ExternalProcessor'] as protoLoader.ServiceDefinition;
  const process = service.Process as ProcessMethod | undefined;
  if (!process) throw new Error('ext_proc proto has no ExternalProcessor.Process method');
  return { service: service as unknown as grpc.ServiceDefinition, process };
}

/** The server options the router's ExtProcServer uses, so both servers run the same gRPC stack. */
export const SERVER_OPTIONS: grpc.ChannelOptions = EXT_PROC_SERVER_OPTIONS;
