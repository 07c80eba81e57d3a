// The content-safety classifier response checks read answers with: the built-in jailbreak model (the one the
// `jailbreak` signal family loads by default), loaded once per process on first use and shared by every policy.
import path from 'node:path';
import {
  BUILTIN_MODELS_DIR,
  defaultSessionPool,
  loadClassifier,
  MODEL_FILE_NAME,
  type TextClassifierModel,
} from '../ml/model-store.ts';
import { readUnsafe, unsafeLabelsOf } from '../signals/jailbreak-categories.ts';
import { textWindows } from '../signals/model-windows.ts';

/** Gives the classifier; a rejection is a classifier failure (the check fails closed or open as configured). */
export type ClassifierSource = () => Promise<TextClassifierModel>;

let builtin: Promise<TextClassifierModel> | undefined;

/** The built-in jailbreak model; a failed load is retried on the next use. */
export const builtinJailbreakClassifier: ClassifierSource = () => {
  builtin ??= loadClassifier(
    defaultSessionPool(),
    path.join(BUILTIN_MODELS_DIR, 'jailbreak', MODEL_FILE_NAME),
  ).catch((error: unknown) => {
    builtin = undefined;
    throw error;
  });
  return builtin;
};

/** The highest P(unsafe) over a text's windows and its likeliest category ('' when the model has no unsafe label). */
export interface UnsafeScore {
  readonly probability: number;
  readonly category: string;
}

const WINDOWS_PER_RUN = 32;

/** Reads every character of `text`, window by window (the model's own window length), in batches. */
export async function scoreUnsafe(classifier: TextClassifierModel, text: string): Promise<UnsafeScore> {
  const unsafe = unsafeLabelsOf(classifier.labels);
  const windows = textWindows([text], classifier.windowChars)
    .map((window) => window.text)
    .filter((window) => /\S/u.test(window));
  let best: UnsafeScore = { probability: 0, category: '' };
  for (let start = 0; start < windows.length; start += WINDOWS_PER_RUN) {
    const outputs = await classifier.classify(windows.slice(start, start + WINDOWS_PER_RUN));
    for (const probabilities of outputs) {
      const reading = readUnsafe(probabilities, unsafe);
      if (reading.probability > best.probability) best = reading;
    }
  }
  return best;
}
