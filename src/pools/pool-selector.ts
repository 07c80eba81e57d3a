// Pool choice: the first of the model's pools (in policy order) whose context window fits the request.
import { NoPoolError } from '../errors.ts';

export interface PoolCandidate {
  readonly name: string;
  readonly envoyCluster: string;
  readonly maxContextTokens: number;
}

export interface PoolChoice<P extends PoolCandidate> {
  readonly pool: P;
  /** Tokens the request needs: estimated prompt plus requested completion budget. */
  readonly requiredTokens: number;
}

export function chooseFirstFittingPool<P extends PoolCandidate>(
  modelName: string,
  pools: readonly P[],
  requiredTokens: number,
  modelContextWindow?: number,
): PoolChoice<P> {
  if (modelContextWindow !== undefined && requiredTokens > modelContextWindow) {
    throw new NoPoolError(
      `Request needs about ${requiredTokens} tokens but model '${modelName}' has a context window of ${modelContextWindow}`,
    );
  }
  const pool = pools.find((p) => p.maxContextTokens >= requiredTokens);
  if (!pool) {
    const largest = Math.max(0, ...pools.map((p) => p.maxContextTokens));
    throw new NoPoolError(
      `No pool of model '${modelName}' fits a request of about ${requiredTokens} tokens (largest pool context: ${largest})`,
    );
  }
  return { pool, requiredTokens };
}
