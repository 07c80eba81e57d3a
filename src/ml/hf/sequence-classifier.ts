// Hugging Face sequence classification export (output `logits` [batch, labels]) as a signal classifier.
import type { ModelCard, TextClassifierModel } from '../model-store.ts';
import { InferenceError, type OnnxSessionPool } from '../onnx-session-pool.ts';
import { sigmoidInto, softmaxInto } from './activations.ts';
import { type HfModelDirOptions, HfModelFileError, hfWindowChars } from './hf-model-dir.ts';
import { floatOutput, HfSession } from './hf-session.ts';

const LOGITS = 'logits';
const MULTI_LABEL = 'multi_label_classification';

export interface HfClassifierOptions extends HfModelDirOptions {
  /** The model's card.json (read by the model store); empty unless given. */
  readonly card?: ModelCard;
}

/** Probabilities per label in `id2label` order: softmax, or sigmoids for multi-label models. */
export class HfSequenceClassifier implements TextClassifierModel {
  readonly labels: readonly string[];
  readonly card: ModelCard;
  readonly multiLabel: boolean;
  readonly #session: HfSession;

  private constructor(session: HfSession, card: ModelCard) {
    this.#session = session;
    this.card = card;
    this.labels = session.files.config.labels;
    this.multiLabel = session.files.config.problemType === MULTI_LABEL;
  }

  get file(): string {
    return this.#session.file;
  }

  get windowChars(): number {
    return hfWindowChars(this.#session.files);
  }

  static async load(
    pool: OnnxSessionPool,
    dir: string,
    options: HfClassifierOptions = {},
  ): Promise<HfSequenceClassifier> {
    const session = await HfSession.open(pool, dir, options);
    const { files } = session;
    if (files.config.labels.length === 0) {
      session.close();
      throw new HfModelFileError(
        files.configFile,
        files.modelFile,
        'has no id2label: cannot name the classes',
      );
    }
    if (!session.outputNames.includes(LOGITS)) {
      session.close();
      throw new HfModelFileError(files.modelFile, files.modelFile, `has no '${LOGITS}' output`);
    }
    const classifier = new HfSequenceClassifier(session, options.card ?? {});
    await session.warmUp(() => classifier.classify(['warm up']));
    return classifier;
  }

  async classify(texts: readonly string[]): Promise<Float32Array[]> {
    const c = this.labels.length;
    const out: Float32Array[] = [];
    for (const { batch, outputs, start, end } of await this.#session.run(texts)) {
      const logits = floatOutput(outputs, LOGITS, this.file);
      if (logits.dims.length !== 2 || logits.data.length !== batch.rows * c) {
        throw new InferenceError(
          `model ${this.file} returned logits of shape [${logits.dims.join(', ')}], expected [${batch.rows}, ${c}]`,
        );
      }
      for (let row = start; row < end; row++) {
        const probabilities = new Float32Array(c);
        (this.multiLabel ? sigmoidInto : softmaxInto)(logits.data, row * c, c, probabilities);
        out.push(probabilities);
      }
    }
    return out;
  }

  close(): void {
    this.#session.close();
  }
}

/** Loads the sequence classifier of a Hugging Face ONNX export directory. */
export function loadHfSequenceClassifier(
  pool: OnnxSessionPool,
  dir: string,
  options?: HfClassifierOptions,
): Promise<HfSequenceClassifier> {
  return HfSequenceClassifier.load(pool, dir, options);
}
