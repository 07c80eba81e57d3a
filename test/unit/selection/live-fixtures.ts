// Models, live state and helpers shared by the live-state algorithm tests: three models from a real policy (small,
// medium, large: cheaper and weaker to dearer and stronger), outcomes recorded as the response stage would.
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { CompiledModelRef, Policy } from '../../../src/policy/policy.ts';
import { PoolStateRegistry } from '../../../src/pools/pool-state.ts';
import { decodeJsonBody, parseOpenAIRequest } from '../../../src/request/openai-request.ts';
import { buildRequestContext, type RequestContext } from '../../../src/request/request-context.ts';
import type {
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionContext,
} from '../../../src/selection/model-selector.ts';
import { type ModelOutcome, ModelStatsRegistry } from '../../../src/selection/model-stats.ts';
import { type SelectionContextInput, selectionContext } from '../../helpers/selection-context.ts';

export const LIVE_POLICY = `
version: v1
default_model: small
pools:
  - { name: l4, max_context_tokens: 8K }
  - { name: a100, max_context_tokens: 32K }
  - { name: h100, max_context_tokens: 128K }
models:
  - name: small
    pools: [l4]
    context_window: 8K
    quality: 0.6
    pricing: { prompt_per_1m: 0.1, completion_per_1m: 0.2 }
  - name: medium
    pools: [a100]
    quality: 0.75
    pricing: { prompt_per_1m: 0.5, completion_per_1m: 1.5 }
  - name: large
    pools: [h100]
    quality: 0.9
    pricing: { prompt_per_1m: 3, completion_per_1m: 15 }
  - name: unpriced
    pools: [a100]
`;

let policy: Policy | undefined;

export async function livePolicy(): Promise<Policy> {
  policy ??= await compilePolicyText(LIVE_POLICY, 'live.yaml');
  return policy;
}

export function closeLivePolicy(): void {
  policy?.close();
  policy = undefined;
}

export const ref = (model: string): CompiledModelRef => ({
  model,
  useReasoning: false,
  reasoningEffort: undefined,
  weight: 1,
});

/** Live state a test drives: pool breakers, model figures, the store. */
export interface LiveState {
  readonly pools: PoolStateRegistry;
  readonly stats: ModelStatsRegistry;
  context(input?: SelectionContextInput): SelectionContext;
}

export async function liveState(seed = 1): Promise<LiveState> {
  const { modelsByName } = await livePolicy();
  const pools = new PoolStateRegistry();
  const stats = new ModelStatsRegistry();
  return {
    pools,
    stats,
    context: (input = {}) => selectionContext({ models: modelsByName, pools, stats, seed, ...input }),
  };
}

/** Records `n` answers of `model` (as the response stage would). */
export function answers(
  stats: ModelStatsRegistry,
  model: string,
  n: number,
  outcome: Partial<ModelOutcome> = {},
) {
  for (let i = 0; i < n; i++) stats.record(model, { failed: false, ...outcome });
}

/** Opens the breaker of `pool` with consecutive failures. */
export function openBreaker(pools: PoolStateRegistry, pool: string): void {
  for (let i = 0; i < 10; i++) pools.begin(pool).end({ status: 503, failed: true });
}

export async function choose<C extends ModelCandidate>(
  selector: ModelSelector,
  candidates: readonly C[],
  context: SelectionContext,
): Promise<Selection<C>> {
  return selector.select(candidates, context);
}

/** A request context from a whole chat body (e.g. with `max_tokens`) and headers. */
export function requestOf(
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): RequestContext {
  const bytes = Buffer.from(JSON.stringify({ model: 'auto', ...body }), 'utf8');
  const request = parseOpenAIRequest(decodeJsonBody(bytes), '/v1/chat/completions');
  return buildRequestContext({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: new Map(Object.entries(headers)),
    request,
  });
}
