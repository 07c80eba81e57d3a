// The contract between PII signals and the models that find entity spans (built-in tagger or a Hugging Face export).

/** One entity found by a model: `text.slice(start, end)` is its value (UTF-16 offsets); never log it. */
export interface EntitySpan {
  /** The model's entity label without BIO prefix, e.g. `PERSON`, `STREET_ADDRESS`. */
  readonly label: string;
  readonly start: number;
  readonly end: number;
  /** In [0, 1]. */
  readonly score: number;
}

/** A loaded token-level model that finds entity spans in texts. */
export interface SpanModel {
  /** Absolute model file, for error messages. */
  readonly file: string;
  /** Entity labels the model can return (without BIO prefixes). */
  readonly labels: readonly string[];
  /** Characters of a text the model tags whole; longer texts are tagged window by window by the PII family. */
  readonly windowChars: number;
  /** Spans per text, sorted by start and non-overlapping. */
  spans(texts: readonly string[]): Promise<EntitySpan[][]>;
  /** Gives the session back to the shared pool. Idempotent. */
  close(): void;
}
