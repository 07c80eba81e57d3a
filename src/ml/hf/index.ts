// Bring-your-own Hugging Face models: ONNX exports (model.onnx + tokenizer.json + config.json) as router models.
import path from 'node:path';
import { HF_MODEL_FILE, isHfModelDir } from './hf-model-dir.ts';

export { HfTextEmbedder, loadHfTextEmbedder } from './feature-extractor.ts';
export {
  DEFAULT_MAX_LENGTH,
  HF_CONFIG_FILE,
  HF_MODEL_FILE,
  HF_ROUTER_SETTINGS_FILE,
  HF_TOKENIZER_CONFIG_FILE,
  HF_TOKENIZER_FILE,
  type HfModelDirOptions,
  HfModelFileError,
  isHfModelDir,
} from './hf-model-dir.ts';
export {
  type HfClassifierOptions,
  HfSequenceClassifier,
  loadHfSequenceClassifier,
} from './sequence-classifier.ts';
export { HfTokenClassifier, loadHfSpanModel } from './token-classifier.ts';

/**
 * The export directory when `modelFile` is the model.onnx of a Hugging Face export (a tokenizer.json or
 * config.json beside it), else undefined.
 */
export async function hfModelDirOf(modelFile: string): Promise<string | undefined> {
  if (path.basename(modelFile) !== HF_MODEL_FILE) return undefined;
  const dir = path.dirname(modelFile);
  return (await isHfModelDir(dir)) ? dir : undefined;
}
