// kmeans: the success rates of the training cluster nearest to the prompt (spherical k-means centroids).
import type { SparseVector } from './selection-features.ts';
import type { SuccessPredictor } from './success-predictor.ts';

export interface KmeansTables {
  readonly clusters: number;
  readonly profiles: number;
  /** buckets × clusters, bucket-major: a prompt's few buckets read contiguous rows. */
  readonly centroids: Float32Array;
  /** clusters × profiles: smoothed success rate of each profile on the cluster's training prompts. */
  readonly clusterSuccess: Float32Array;
}

export class KmeansPredictor implements SuccessPredictor {
  private readonly similarity: Float64Array;

  constructor(private readonly t: KmeansTables) {
    this.similarity = new Float64Array(t.clusters);
  }

  /** Index of the nearest centroid (cosine; the first on ties). */
  nearest(vector: SparseVector): number {
    const { clusters, centroids } = this.t;
    const sim = this.similarity.fill(0);
    for (let i = 0; i < vector.ids.length; i++) {
      const row = (vector.ids[i] as number) * clusters;
      const v = vector.values[i] as number;
      for (let c = 0; c < clusters; c++) sim[c] = (sim[c] as number) + v * (centroids[row + c] as number);
    }
    let best = 0;
    for (let c = 1; c < clusters; c++) if ((sim[c] as number) > (sim[best] as number)) best = c;
    return best;
  }

  predict(vector: SparseVector): Float64Array {
    const { profiles, clusterSuccess } = this.t;
    const c = this.nearest(vector);
    return Float64Array.from(clusterSuccess.subarray(c * profiles, (c + 1) * profiles));
  }
}
