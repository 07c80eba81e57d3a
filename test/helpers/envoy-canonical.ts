// Envoy's own (canonical) proto definitions, shipped in @grpc/grpc-js-xds under deps/, for wire-compatibility tests.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const xdsPackageDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));

/** Folders that hold Envoy's API protos and everything they import (validate, udpa, xds, googleapis). */
export const canonicalIncludeDirs: readonly string[] = [
  'envoy-api',
  'xds',
  'googleapis',
  'protoc-gen-validate',
].map((dir) => path.join(xdsPackageDir, 'deps', dir));

export const CANONICAL_EXT_PROC_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

// protobufjs bundles google/protobuf/descriptor.proto as a file rather than as a built-in "common" type.
const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));

function resolveInIncludeDirs(target: string): string {
  for (const dir of [...canonicalIncludeDirs, protobufjsDir]) {
    const candidate = path.join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  return target;
}

/** A protobufjs Root with the given canonical files loaded, field names kept in snake_case as on the wire. */
export function loadCanonicalRoot(files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    // google/protobuf/* well-known types are bundled with protobufjs and resolved by it.
    if (target.startsWith('google/protobuf/') && !target.includes('/compiler/')) {
      const common = protobuf.common.get(target);
      if (common) return target;
    }
    return resolveInIncludeDirs(target);
  };
  root.loadSync(files as string[], { keepCase: true });
  root.resolveAll();
  return root;
}

/** A gRPC client constructor for envoy.service.ext_proc.v3.ExternalProcessor built from Envoy's own protos. */
export function canonicalExtProcClientConstructor(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(CANONICAL_EXT_PROC_PROTO, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [...canonicalIncludeDirs],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
  };
  return loaded.envoy.service.ext_proc.v3.ExternalProcessor;
}
