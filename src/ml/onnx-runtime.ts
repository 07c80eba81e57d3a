// onnxruntime-node, loaded on first use: its native library costs ~15 MiB of RSS and ~40 ms of start-up, wasted
// on policies without an ONNX model. It is CommonJS, so the first caller loads it synchronously, wherever it is.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);
let runtime: typeof Ort | undefined;

export function onnxRuntime(): typeof Ort {
  runtime ??= require('onnxruntime-node') as typeof Ort;
  return runtime;
}
