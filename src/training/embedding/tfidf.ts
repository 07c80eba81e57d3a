// TF-IDF cosine retrieval over the featurizer's word tokens: the baseline the embedding model must beat.
import { normalizeText, tokenize } from '../../ml/wide-mlp/features.ts';

/** A sparse, L2-normalised TF-IDF vector: term index → weight. */
export type SparseVector = ReadonlyMap<number, number>;

/** TF-IDF (sublinear tf, smoothed idf) fitted on a corpus, with an inverted index for nearest-neighbour search. */
export class TfIdfIndex {
  readonly #vocabulary = new Map<string, number>();
  readonly #idf: number[] = [];
  readonly #postings: { doc: number; weight: number }[][] = [];
  readonly size: number;

  constructor(documents: readonly string[], maxChars = 1024) {
    const termLists = documents.map((d) => tokenize(normalizeText(d, maxChars)));
    const df: number[] = [];
    for (const terms of termLists) {
      for (const term of new Set(terms)) {
        let id = this.#vocabulary.get(term);
        if (id === undefined) {
          id = this.#vocabulary.size;
          this.#vocabulary.set(term, id);
          df.push(0);
        }
        df[id] = (df[id] ?? 0) + 1;
      }
    }
    const n = documents.length;
    for (const count of df) this.#idf.push(Math.log((1 + n) / (1 + count)) + 1);
    for (let id = 0; id < df.length; id++) this.#postings.push([]);
    termLists.forEach((terms, doc) => {
      for (const [id, weight] of this.#weigh(terms)) this.#postings[id]?.push({ doc, weight });
    });
    this.size = n;
    this.maxChars = maxChars;
  }

  readonly maxChars: number;

  #weigh(terms: readonly string[]): SparseVector {
    const tf = new Map<number, number>();
    for (const term of terms) {
      const id = this.#vocabulary.get(term);
      if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    const out = new Map<number, number>();
    let norm = 0;
    for (const [id, count] of tf) {
      const w = (1 + Math.log(count)) * (this.#idf[id] ?? 0);
      out.set(id, w);
      norm += w * w;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (const [id, w] of out) out.set(id, w * scale);
    return out;
  }

  /** The query's TF-IDF vector (terms unseen in the corpus are dropped). */
  vector(text: string): SparseVector {
    return this.#weigh(tokenize(normalizeText(text, this.maxChars)));
  }

  /** Cosine similarity of the query to every indexed document. */
  similarities(text: string): Float64Array {
    const scores = new Float64Array(this.size);
    for (const [id, weight] of this.vector(text)) {
      for (const p of this.#postings[id] ?? []) scores[p.doc] = (scores[p.doc] ?? 0) + weight * p.weight;
    }
    return scores;
  }
}
