// Hugging Face token classification export (output `logits` [batch, seq, labels]) as a SpanModel for PII signals.
import { InferenceError, type OnnxSessionPool } from '../onnx-session-pool.ts';
import type { EntitySpan, SpanModel } from '../span-model.ts';
import { softmaxInto } from './activations.ts';
import { decodeEntitySpans, entityTypes, type TaggedToken } from './bio-spans.ts';
import { type HfModelDirOptions, HfModelFileError, hfWindowChars } from './hf-model-dir.ts';
import { floatOutput, HfSession } from './hf-session.ts';
import type { HfBatch } from './hf-tokenizer.ts';

const LOGITS = 'logits';

/** Finds entity spans with a BIO/IO token classifier; offsets are UTF-16 offsets into the original texts. */
export class HfTokenClassifier implements SpanModel {
  readonly labels: readonly string[];
  /** The model's raw labels (`O`, `B-PER`, …) in id order. */
  readonly tags: readonly string[];
  readonly #session: HfSession;

  private constructor(session: HfSession) {
    this.#session = session;
    this.tags = session.files.config.labels;
    this.labels = entityTypes(this.tags);
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
    options: HfModelDirOptions = {},
  ): Promise<HfTokenClassifier> {
    const session = await HfSession.open(pool, dir, options);
    const { files } = session;
    if (entityTypes(files.config.labels).length === 0) {
      session.close();
      throw new HfModelFileError(files.configFile, files.modelFile, 'id2label names no entity labels');
    }
    if (!session.outputNames.includes(LOGITS)) {
      session.close();
      throw new HfModelFileError(files.modelFile, files.modelFile, `has no '${LOGITS}' output`);
    }
    const model = new HfTokenClassifier(session);
    await session.warmUp(() => model.spans(['warm up']));
    return model;
  }

  async spans(texts: readonly string[]): Promise<EntitySpan[][]> {
    const out: EntitySpan[][] = [];
    for (const { batch, outputs, start, end } of await this.#session.run(texts, true)) {
      const logits = floatOutput(outputs, LOGITS, this.file);
      const c = this.tags.length;
      if (logits.dims.length !== 3 || logits.data.length !== batch.rows * batch.length * c) {
        throw new InferenceError(
          `model ${this.file} returned logits of shape [${logits.dims.join(', ')}], expected [${batch.rows}, ${batch.length}, ${c}]`,
        );
      }
      for (let row = start; row < end; row++)
        out.push(decodeEntitySpans(this.#tagged(batch, row, logits.data)));
    }
    return out;
  }

  #tagged(batch: HfBatch, row: number, logits: Float32Array): TaggedToken[] {
    const c = this.tags.length;
    const encoding = batch.encodings[row];
    const probabilities = new Float32Array(c);
    const tagged: TaggedToken[] = [];
    encoding?.offsets?.forEach((offset, col) => {
      if (offset === undefined || encoding.special[col]) return;
      softmaxInto(logits, (row * batch.length + col) * c, c, probabilities);
      let best = 0;
      for (let k = 1; k < c; k++) if ((probabilities[k] ?? 0) > (probabilities[best] ?? 0)) best = k;
      tagged.push({ label: this.tags[best] ?? 'O', score: probabilities[best] ?? 0, offset });
    });
    return tagged;
  }

  close(): void {
    this.#session.close();
  }
}

/** Loads the token classifier of a Hugging Face ONNX export directory as a SpanModel. */
export function loadHfSpanModel(
  pool: OnnxSessionPool,
  dir: string,
  options?: HfModelDirOptions,
): Promise<SpanModel> {
  return HfTokenClassifier.load(pool, dir, options);
}
