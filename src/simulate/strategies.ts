// The strategies a simulation compares: any registered pool strategy (applied to every model), any registered
// model-selection algorithm (applied to every decision with more than one modelRef), `name+name` for one of each,
// or `policy` (as the policy is written). Read from the registries, so a newly registered one just works.
import type { CompiledModel, Policy } from '../policy/policy.ts';
import { POOL_STRATEGIES } from '../pools/strategies/index.ts';
import { selectionAlgorithms } from '../selection/model-selector.ts';
import type { Fleet } from './fleet.ts';

export const AS_WRITTEN = 'policy';

export interface StrategySpec {
  /** What the report calls it (what the user wrote). */
  readonly label: string;
  /** Pool strategy for every model; undefined keeps each model's own. */
  readonly pool: string | undefined;
  /** Selection algorithm for every decision with several modelRefs; undefined keeps each decision's own. */
  readonly algorithm: string | undefined;
}

export class StrategyError extends Error {
  override readonly name = 'StrategyError';
}

function known(): string {
  return [AS_WRITTEN, ...POOL_STRATEGIES.keys(), ...selectionAlgorithms.keys()].join(', ');
}

/**
 * Parses `ordered,least_loaded,session_aware+least_loaded,policy`. A bare name is a pool strategy if one has that name,
 * else a selection algorithm; `pool:NAME` and `select:NAME` say which (`select:weighted` is the selection algorithm,
 * `weighted` the pool strategy). Throws StrategyError naming the known names.
 */
export function parseStrategies(list: string): StrategySpec[] {
  const labels = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (labels.length === 0) throw new StrategyError('--strategies names no strategy');
  return labels.map((label) => {
    let pool: string | undefined;
    let algorithm: string | undefined;
    for (const part of label.split('+')) {
      if (part === AS_WRITTEN) continue;
      const [kind, name] = part.includes(':') ? (part.split(':', 2) as [string, string]) : [undefined, part];
      const isPool = (kind === undefined || kind === 'pool') && POOL_STRATEGIES.has(name);
      const isAlgorithm = (kind === undefined || kind === 'select') && selectionAlgorithms.has(name);
      if (kind !== undefined && kind !== 'pool' && kind !== 'select') {
        throw new StrategyError(`'${part}': the prefix is pool: or select:`);
      }
      if (!isPool && !isAlgorithm) throw new StrategyError(`unknown strategy '${part}' (known: ${known()})`);
      if (isPool && pool === undefined) pool = name;
      else if (isAlgorithm && !(isPool && pool === name) && algorithm === undefined) algorithm = name;
      else
        throw new StrategyError(`strategy '${label}' names two pool strategies or two selection algorithms`);
    }
    return { label, pool, algorithm };
  });
}

/** Every registered pool strategy: what `simulate` compares when not told. */
export function defaultStrategies(): StrategySpec[] {
  return [...POOL_STRATEGIES.keys()].map((name) => ({ label: name, pool: name, algorithm: undefined }));
}

/**
 * Config for a pool strategy: its defaults, plus the fleet's capacities (replicas × max concurrency) for strategies
 * whose config takes a `capacity` map (least_loaded), so load is compared per unit of capacity.
 */
function poolStrategyConfig(name: string, fleet: Fleet): unknown {
  const definition = POOL_STRATEGIES.get(name);
  const capacity = Object.fromEntries(
    [...fleet.pools.values()].map((p) => [p.name, p.replicas * p.maxConcurrency]),
  );
  return definition?.configSchema.safeParse({ capacity }).success ? { capacity } : {};
}

/** `policy` with the spec's overrides: models and decisions replaced by copies, everything else shared. */
export function applyStrategy(policy: Policy, spec: StrategySpec, fleet: Fleet): Policy {
  let result = policy;
  if (spec.pool !== undefined) {
    const definition = POOL_STRATEGIES.get(spec.pool);
    if (definition === undefined) throw new StrategyError(`unknown pool strategy '${spec.pool}'`);
    const strategy = definition.create(definition.configSchema.parse(poolStrategyConfig(spec.pool, fleet)));
    const replaced = new Map<CompiledModel, CompiledModel>(
      policy.models.map((model) => [model, { ...model, poolStrategy: strategy }]),
    );
    const swap = (model: CompiledModel): CompiledModel => replaced.get(model) ?? model;
    result = {
      ...result,
      models: policy.models.map(swap),
      modelsByName: new Map([...policy.modelsByName].map(([name, model]) => [name, swap(model)])),
      defaultModel: swap(policy.defaultModel),
    };
  }
  if (spec.algorithm !== undefined) {
    const definition = selectionAlgorithms.get(spec.algorithm);
    if (definition === undefined) throw new StrategyError(`unknown selection algorithm '${spec.algorithm}'`);
    const parsed = definition.configSchema.safeParse({});
    if (!parsed.success) {
      throw new StrategyError(
        `selection algorithm '${spec.algorithm}' needs settings: set it on the decisions in the policy and simulate 'policy'`,
      );
    }
    const decisions = result.decisions.map((decision) =>
      decision.modelRefs.length > 1
        ? { ...decision, selector: definition.create(parsed.data as never) }
        : decision,
    );
    result = { ...result, decisions, enforcedDecisions: decisions.filter((d) => d.enforced) };
  }
  return result;
}
