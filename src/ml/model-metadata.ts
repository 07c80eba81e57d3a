// Reads the `semantic_router.*` metadata the project's exporters write into ONNX files, checking kind and version.
import { decodeOnnxModel } from './onnx-model.ts';

export const MODEL_KIND_KEY = 'semantic_router.model_kind';
export const FORMAT_VERSION_KEY = 'semantic_router.format_version';

/**
 * The metadata of a model written by this project: a getter that fails (with `fail`'s error) on a missing key.
 * Fails as well when the bytes are not ONNX, or the model is of another kind or format version.
 */
export function readModelMetadata(
  bytes: Uint8Array,
  expected: { readonly kind: string; readonly version: number },
  fail: (message: string) => Error,
): (key: string) => string {
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeOnnxModel(bytes);
  } catch (error) {
    throw fail(`not an ONNX model: ${(error as Error).message}`);
  }
  const props = new Map<string, string>();
  const raw = decoded.metadata_props;
  if (Array.isArray(raw)) {
    for (const entry of raw as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const { key, value } = entry as { key?: unknown; value?: unknown };
      if (typeof key === 'string' && typeof value === 'string') props.set(key, value);
    }
  }
  const get = (key: string): string => {
    const value = props.get(key);
    if (value === undefined) throw fail(`metadata '${key}' is missing`);
    return value;
  };
  if (get(MODEL_KIND_KEY) !== expected.kind) {
    throw fail(`model kind is '${get(MODEL_KIND_KEY)}', expected '${expected.kind}'`);
  }
  if (get(FORMAT_VERSION_KEY) !== String(expected.version)) {
    throw fail(`unsupported format version ${get(FORMAT_VERSION_KEY)}`);
  }
  return get;
}
