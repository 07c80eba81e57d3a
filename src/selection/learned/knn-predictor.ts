// knn: the outcomes of the k training prompts most similar to this one (cosine over idf-weighted n-grams).
import type { SparseVector } from './selection-features.ts';
import { MISSING_OUTCOME, type SuccessPredictor } from './success-predictor.ts';

export interface KnnTables {
  readonly k: number;
  readonly profiles: number;
  /** Per profile, the training success rate that neighbours' votes are shrunk towards. */
  readonly priors: Float64Array;
  /** Inverted index: bucket b's postings are [postingOffsets[b], postingOffsets[b + 1]). */
  readonly postingOffsets: Int32Array;
  readonly postingDocs: Uint16Array;
  /** Each posting's weight in the document's normalised vector, quantised to 0..255 over [0, 1]. */
  readonly postingWeights: Uint8Array;
  /** docs × profiles: 1 right, 0 wrong, MISSING_OUTCOME unknown. */
  readonly outcomes: Uint8Array;
}

/** Weight of the prior, in units of neighbour similarity: a prompt with weak neighbours leans on the prior. */
const PRIOR_WEIGHT = 0.5;

/** Index of the smallest of the first n values (the first on ties). */
function argMin(values: Float64Array, n: number): number {
  let at = 0;
  for (let i = 1; i < n; i++) if ((values[i] as number) < (values[at] as number)) at = i;
  return at;
}

export class KnnPredictor implements SuccessPredictor {
  private readonly scores: Float32Array;
  private readonly touched: Int32Array;
  private readonly topDocs: Int32Array;
  private readonly topScores: Float64Array;

  constructor(private readonly t: KnnTables) {
    const docs = t.outcomes.length / t.profiles;
    this.scores = new Float32Array(docs);
    this.touched = new Int32Array(docs);
    this.topDocs = new Int32Array(t.k);
    this.topScores = new Float64Array(t.k);
  }

  predict(vector: SparseVector): Float64Array {
    const { postingOffsets, postingDocs, postingWeights, k } = this.t;
    const { scores, touched } = this;
    let touchedCount = 0;
    for (let i = 0; i < vector.ids.length; i++) {
      const id = vector.ids[i] as number;
      const q = (vector.values[i] as number) / 255;
      const end = postingOffsets[id + 1] as number;
      for (let p = postingOffsets[id] as number; p < end; p++) {
        const doc = postingDocs[p] as number;
        if (scores[doc] === 0) touched[touchedCount++] = doc;
        scores[doc] = (scores[doc] as number) + q * (postingWeights[p] as number);
      }
    }
    // The k best in an unordered array with its minimum tracked (the vote needs no order): a prompt can touch
    // thousands of documents, and only a new entrant rescans the k slots.
    const { topDocs, topScores } = this;
    let found = 0;
    let minAt = 0;
    for (let i = 0; i < touchedCount; i++) {
      const doc = touched[i] as number;
      const s = scores[doc] as number;
      scores[doc] = 0;
      if (found < k) {
        topDocs[found] = doc;
        topScores[found] = s;
        found++;
        if (found === k) minAt = argMin(topScores, k);
        continue;
      }
      if (s <= (topScores[minAt] as number)) continue;
      topDocs[minAt] = doc;
      topScores[minAt] = s;
      minAt = argMin(topScores, k);
    }
    return this.vote(found);
  }

  private vote(found: number): Float64Array {
    const { profiles, priors, outcomes } = this.t;
    const out = new Float64Array(profiles);
    for (let m = 0; m < profiles; m++) {
      let sum = PRIOR_WEIGHT * (priors[m] as number);
      let weight = PRIOR_WEIGHT;
      for (let n = 0; n < found; n++) {
        const y = outcomes[(this.topDocs[n] as number) * profiles + m] as number;
        if (y === MISSING_OUTCOME) continue;
        const w = this.topScores[n] as number;
        sum += w * y;
        weight += w;
      }
      out[m] = sum / weight;
    }
    return out;
  }
}
