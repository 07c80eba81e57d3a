// The ONNX ModelProto message type (loaded once from proto/onnx with protobufjs) and decoding of model bytes.
// biome-ignore lint/style/noRestrictedImports: ONNX files are protobuf; this module owns the ONNX shapes, not gRPC ones.
import protobuf from 'protobufjs';
import { findPackageFile } from '../package-files.ts';

let cachedRoot: protobuf.Root | undefined;

function onnxRoot(): protobuf.Root {
  if (cachedRoot === undefined) {
    const root = new protobuf.Root();
    root.loadSync(findPackageFile('proto/onnx/onnx.proto'), { keepCase: true });
    root.resolveAll();
    cachedRoot = root;
  }
  return cachedRoot;
}

export function modelType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

/**
 * Decodes ONNX ModelProto bytes into plain objects with the proto's field names (int64 as numbers,
 * enums as names, bytes as Uint8Array — Buffer in Node). Throws on bytes that are not a protobuf message.
 */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelType();
  return type.toObject(type.decode(bytes), { longs: Number, enums: String, arrays: true, oneofs: false });
}
