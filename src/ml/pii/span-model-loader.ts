// Loads a PII entity model (a SpanModel) from a model file with the first loader that recognises its format.
import { readFile } from 'node:fs/promises';
import { hfModelDirOf, loadHfSpanModel } from '../hf/index.ts';
import { readModelMetadata } from '../model-metadata.ts';
import { ModelFileError, type OnnxSessionPool } from '../onnx-session-pool.ts';
import type { SpanModel } from '../span-model.ts';
import { TOKEN_TAGGER_FORMAT_VERSION, TOKEN_TAGGER_KIND } from '../tagger/tagger-metadata.ts';
import { TokenTagger } from '../tagger/token-tagger.ts';

/**
 * One model format. `accepts` is a cheap check (metadata kind, files beside the model); `load` reads the model
 * through the shared session pool and throws ModelFileError naming the file when it cannot.
 */
export interface SpanModelLoader {
  /** Format name for error messages, e.g. `token tagger`. */
  readonly name: string;
  accepts(file: string): Promise<boolean>;
  load(pool: OnnxSessionPool, file: string): Promise<SpanModel>;
}

/** The built-in format written by `semantic-router train --task pii`. */
export const tokenTaggerLoader: SpanModelLoader = {
  name: 'token tagger (semantic-router train --task pii)',
  async accepts(file) {
    try {
      readModelMetadata(
        await readFile(file),
        { kind: TOKEN_TAGGER_KIND, version: TOKEN_TAGGER_FORMAT_VERSION },
        (message) => new Error(message),
      );
      return true;
    } catch {
      return false;
    }
  },
  load: (pool, file) => TokenTagger.load(pool, file),
};

/** A Hugging Face token-classification export directory (model.onnx beside tokenizer.json / config.json). */
export const hfTokenClassifierLoader: SpanModelLoader = {
  name: 'Hugging Face token-classification ONNX export (model.onnx, tokenizer.json, config.json)',
  accepts: async (file) => (await hfModelDirOf(file)) !== undefined,
  async load(pool, file) {
    const dir = await hfModelDirOf(file);
    if (dir === undefined) throw new ModelFileError(file, 'is not in a Hugging Face export directory');
    return loadHfSpanModel(pool, dir);
  },
};

/** Formats tried in order. */
export const SPAN_MODEL_LOADERS: readonly SpanModelLoader[] = [tokenTaggerLoader, hfTokenClassifierLoader];

/**
 * The model in `file` (absolute), loaded by the first loader that accepts it. A missing file or one no loader
 * accepts is a ModelFileError naming the file.
 */
export async function loadSpanModel(
  pool: OnnxSessionPool,
  file: string,
  loaders: readonly SpanModelLoader[] = SPAN_MODEL_LOADERS,
): Promise<SpanModel> {
  for (const loader of loaders) {
    if (await loader.accepts(file)) return loader.load(pool, file);
  }
  // Let the pool report a missing or unreadable file in its usual words.
  const handle = await pool.acquire(file);
  await handle.release();
  throw new ModelFileError(
    file,
    `is not a PII entity model this router can read (formats: ${loaders.map((l) => l.name).join('; ')})`,
  );
}
