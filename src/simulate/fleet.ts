// The fleet a simulation serves routed requests with: per pool, its GPUs, replicas and how fast a replica prefills and
// decodes (a small YAML next to the policy, e.g. policies/default.fleet.yaml; see docs/simulate.md).
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { Policy } from '../policy/policy.ts';
import { readInputFile, SimulationInputError } from './input-error.ts';
import { TRACE_BLOCK_TOKENS } from './trace.ts';

const poolSchema = z.strictObject({
  /** Accelerator name, for the report (e.g. nvidia-l4). Default: the policy pool's `accelerator`. */
  gpu: z.string().min(1).optional(),
  replicas: z.number().int().min(1),
  gpus_per_replica: z.number().int().min(1).default(1),
  /** Sequences a replica runs at once (vLLM `max_num_seqs`). */
  max_concurrency: z.number().int().min(1),
  /** Requests a replica holds waiting beyond that; one more is refused (503, counted as rejected). */
  max_queue: z.number().int().min(0).default(64),
  /** Prompt tokens per second a replica prefills (one prompt at a time: prefill is compute-bound). */
  prefill_tokens_per_s: z.number().positive(),
  /** Tokens per second one sequence decodes when it runs alone. */
  decode_tokens_per_s: z.number().positive(),
  /** Per extra running sequence, each sequence's time per output token grows by this share (0.02 = 2 %). */
  batch_slowdown: z.number().min(0).default(0.02),
  /** Prefix blocks (block_tokens each) a replica's KV cache keeps for reuse, least recently used evicted first. */
  kv_cache_blocks: z.number().int().min(0).default(0),
  /** Price of one GPU for one hour. Default: the policy pool's `cost_per_hour`, else 0. */
  cost_per_gpu_hour: z.number().min(0).optional(),
});

export const fleetSchema = z.strictObject({
  /** Tokens per prefix block: the trace's block size (Mooncake: 512). */
  block_tokens: z.number().int().min(1).default(TRACE_BLOCK_TOKENS),
  /**
   * How a pool spreads its requests over replicas: `least_request` (Envoy's LEAST_REQUEST: fewest running plus
   * waiting) or `prefix_aware` (the replica caching the longest prefix of the prompt among those with a free slot).
   */
  replica_balancer: z.enum(['least_request', 'prefix_aware']).default('least_request'),
  pools: z.record(z.string().min(1), poolSchema),
});

export type FleetDocument = z.infer<typeof fleetSchema>;
export type ReplicaBalancer = FleetDocument['replica_balancer'];

/** One pool of the fleet, defaults resolved against the policy. */
export interface FleetPool {
  readonly name: string;
  readonly gpu: string;
  readonly replicas: number;
  readonly gpusPerReplica: number;
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  readonly prefillTokensPerS: number;
  readonly decodeTokensPerS: number;
  readonly batchSlowdown: number;
  readonly kvCacheBlocks: number;
  readonly costPerGpuHour: number;
}

export interface Fleet {
  readonly file: string;
  readonly blockTokens: number;
  readonly replicaBalancer: ReplicaBalancer;
  readonly pools: ReadonlyMap<string, FleetPool>;
}

/**
 * Where a policy's fleet file is looked for when none is named: beside it (`x.yaml` → `x.fleet.yaml`), then under
 * `examples/` (`examples/x.fleet.yaml`: policies/ holds only policies, `serve --policy DIR` merges every YAML there).
 */
export function defaultFleetPaths(policyFile: string): string[] {
  const base = path.basename(policyFile).replace(/(\.ya?ml)?$/i, '.fleet.yaml');
  return [path.join(path.dirname(policyFile), base), path.join('examples', base)];
}

/** Validates a fleet document against the policy: every policy pool declared, no pool the policy lacks. */
export function compileFleet(
  raw: unknown,
  policy: Policy,
  file: string,
  lineOf: (path: PropertyKey[]) => number | undefined = () => undefined,
): Fleet {
  const parsed = fleetSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const where = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    throw new SimulationInputError(file, `${where}: ${issue.message}`, lineOf(issue.path));
  }
  const doc = parsed.data;
  const policyPools = new Map(policy.pools.map((pool) => [pool.name, pool]));
  for (const name of Object.keys(doc.pools)) {
    if (!policyPools.has(name)) {
      throw new SimulationInputError(
        file,
        `pools.${name}: the policy has no pool '${name}' (its pools: ${[...policyPools.keys()].join(', ')})`,
        lineOf(['pools', name]),
      );
    }
  }
  const pools = new Map<string, FleetPool>();
  for (const [name, pool] of policyPools) {
    const spec = doc.pools[name];
    if (spec === undefined) {
      throw new SimulationInputError(
        file,
        `pools: pool '${name}' of the policy is missing (declare its replicas and rates)`,
        lineOf(['pools']),
      );
    }
    pools.set(name, {
      name,
      gpu: spec.gpu ?? pool.accelerator ?? 'gpu',
      replicas: spec.replicas,
      gpusPerReplica: spec.gpus_per_replica,
      maxConcurrency: spec.max_concurrency,
      maxQueue: spec.max_queue,
      prefillTokensPerS: spec.prefill_tokens_per_s,
      decodeTokensPerS: spec.decode_tokens_per_s,
      batchSlowdown: spec.batch_slowdown,
      kvCacheBlocks: spec.kv_cache_blocks,
      costPerGpuHour: spec.cost_per_gpu_hour ?? pool.costPerHour ?? 0,
    });
  }
  return { file, blockTokens: doc.block_tokens, replicaBalancer: doc.replica_balancer, pools };
}

/** Reads and validates a fleet YAML file for `policy`. */
export async function loadFleet(file: string, policy: Policy): Promise<Fleet> {
  const text = await readInputFile(file, 'the fleet file');
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const syntax = document.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new SimulationInputError(file, `YAML syntax: ${syntax.message.split('\n')[0]}`, line);
  }
  // The line of the deepest key on the path that exists (a missing key is reported at its parent).
  const lineOf = (segments: PropertyKey[]): number | undefined => {
    for (let depth = segments.length; depth > 0; depth--) {
      const parent = document.getIn(segments.slice(0, depth - 1) as unknown[], true);
      if (!isMap(parent)) continue;
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === segments[depth - 1]);
      const range = isScalar(pair?.key) ? pair.key.range : undefined;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    return undefined;
  };
  return compileFleet(document.toJS(), policy, file, lineOf);
}
