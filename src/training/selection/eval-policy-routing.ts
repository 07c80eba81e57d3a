// `eval-routing --policy`: replays held-out prompts through a policy's whole routing (signals → decision →
// selection) and scores the model it picks with that prompt's recorded outcome and cost.
import { RouterError } from '../../errors.ts';
import { admitRequest, defaultRouterDeps, parseRequest, planRoute } from '../../pipeline.ts';
import type { Policy } from '../../policy/policy.ts';
import { seededRandom } from '../../seeded-random.ts';
import { EvalRoutingError } from './eval-routing.ts';
import type { OutcomeDataset } from './outcome-datasets.ts';

export interface PolicyRow {
  readonly name: string;
  readonly quality: number;
  readonly cost: number;
  /** Per policy model (or baseline profile), its share of the scored prompts. */
  readonly shares: Readonly<Record<string, number>>;
}

export interface PolicyEvaluation {
  readonly dataset: string;
  readonly costUnit: string;
  /** Policy model → the data's profile it is scored as. */
  readonly profileOf: Readonly<Record<string, string>>;
  readonly prompts: number;
  /** Prompts routed to a model with no profile, answered by a plugin, or rejected: not scored. */
  readonly unscored: number;
  readonly policy: PolicyRow;
  readonly baselines: readonly PolicyRow[];
  /** (quality − always-cheapest) / (always-best − always-cheapest). */
  readonly pgr: number;
}

/** The `models:` maps of the policy's learned-selection decisions (`algorithm: {type: knn, knn: {models}}`). */
function algorithmMaps(policy: Policy): Map<string, string> {
  const out = new Map<string, string>();
  for (const decision of policy.document.routing.decisions) {
    const algorithm = decision.algorithm as Record<string, unknown> | undefined;
    const nested = algorithm?.[String(algorithm?.type)] as { models?: Record<string, unknown> } | undefined;
    for (const [model, profile] of Object.entries(nested?.models ?? {})) {
      if (typeof profile === 'string') out.set(model, profile);
    }
  }
  return out;
}

/**
 * Each policy model's profile: `--map`, else a learned decision's `models:` entry, else its name, else its
 * provider model id, when the data has it.
 */
export function profilesOfPolicy(
  policy: Policy,
  dataset: OutcomeDataset,
  map: ReadonlyMap<string, string>,
): Map<string, number> {
  const index = new Map(dataset.profiles.map((p, i) => [p, i]));
  const out = new Map<string, number>();
  for (const [model, profile] of [...algorithmMaps(policy), ...map]) {
    if (!policy.modelsByName.has(model))
      throw new EvalRoutingError(`--map names '${model}', which the policy does not define`);
    const i = index.get(profile);
    if (i === undefined) throw new EvalRoutingError(`--map: '${profile}' is not a model of ${dataset.name}`);
    out.set(model, i);
  }
  for (const model of policy.models) {
    if (out.has(model.name)) continue;
    const i = index.get(model.name) ?? index.get(model.providerModelId);
    if (i !== undefined) out.set(model.name, i);
  }
  if (out.size < 2) {
    throw new EvalRoutingError(
      `fewer than two policy models map to ${dataset.name} outcomes; name them after its models or pass --map model=profile,...`,
    );
  }
  return out;
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : n / d);

export async function evaluatePolicyRouting(
  policy: Policy,
  dataset: OutcomeDataset,
  map: ReadonlyMap<string, string>,
): Promise<PolicyEvaluation> {
  const profileOf = profilesOfPolicy(policy, dataset, map);
  const mapped = [...new Set(profileOf.values())];
  const deps = { ...defaultRouterDeps(), random: seededRandom(1) };
  const admission = admitRequest(policy, {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: new Map(),
  });
  if (admission.kind !== 'route')
    throw new EvalRoutingError('the policy does not route /v1/chat/completions');
  const rows = dataset.rows.filter(
    (r) =>
      r.split === 'test' &&
      mapped.every((m) => !Number.isNaN(r.correct[m] as number) && !Number.isNaN(r.cost[m] as number)),
  );
  if (rows.length === 0) throw new EvalRoutingError('no held-out prompt has outcomes for every mapped model');
  let unscored = 0;
  let quality = 0;
  let cost = 0;
  const counts = new Map<string, number>();
  const scored: (typeof rows)[number][] = [];
  for (const row of rows) {
    const body = Buffer.from(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: row.text }] }),
    );
    let model: string | undefined;
    try {
      const context = parseRequest(policy, {
        method: 'POST',
        path: admission.path,
        api: admission.api,
        headers: new Map(),
        body,
      });
      const plan = await planRoute(policy, context, undefined, deps);
      model = plan.response === undefined ? plan.model.name : undefined;
    } catch (error) {
      if (!(error instanceof RouterError)) throw error;
    }
    const m = model === undefined ? undefined : profileOf.get(model);
    if (model === undefined || m === undefined) {
      unscored++;
      continue;
    }
    scored.push(row);
    quality += row.correct[m] as number;
    cost += row.cost[m] as number;
    counts.set(model, (counts.get(model) ?? 0) + 1);
  }
  const n = scored.length;
  if (n === 0) throw new EvalRoutingError('the policy sent no held-out prompt to a model with outcomes');
  const mean = (m: number, what: 'correct' | 'cost') =>
    ratio(
      scored.reduce((s, r) => s + (r[what][m] as number), 0),
      n,
    );
  const byCost = [...mapped].sort((a, b) => mean(a, 'cost') - mean(b, 'cost'));
  const cheapest = byCost[0] as number;
  const best = [...mapped].sort((a, b) => mean(b, 'correct') - mean(a, 'correct'))[0] as number;
  const name = (m: number) => dataset.profiles[m] as string;
  let oracleQuality = 0;
  let oracleCost = 0;
  const oracleCounts = new Map<string, number>();
  for (const r of scored) {
    const pick = byCost.find((m) => (r.correct[m] as number) >= 1) ?? cheapest;
    oracleQuality += r.correct[pick] as number;
    oracleCost += r.cost[pick] as number;
    oracleCounts.set(name(pick), (oracleCounts.get(name(pick)) ?? 0) + 1);
  }
  const shares = (c: Map<string, number>) => Object.fromEntries([...c].map(([k, v]) => [k, ratio(v, n)]));
  const uniform = Object.fromEntries(mapped.map((m) => [name(m), 1 / mapped.length]));
  const policyRow: PolicyRow = {
    name: 'policy',
    quality: quality / n,
    cost: cost / n,
    shares: shares(counts),
  };
  const cheapRow = {
    name: 'always-cheapest',
    quality: mean(cheapest, 'correct'),
    cost: mean(cheapest, 'cost'),
    shares: { [name(cheapest)]: 1 },
  };
  const bestRow = {
    name: 'always-best',
    quality: mean(best, 'correct'),
    cost: mean(best, 'cost'),
    shares: { [name(best)]: 1 },
  };
  return {
    dataset: dataset.name,
    costUnit: dataset.costUnit,
    profileOf: Object.fromEntries([...profileOf].map(([k, v]) => [k, name(v)])),
    prompts: rows.length,
    unscored,
    policy: policyRow,
    baselines: [
      {
        name: 'random',
        quality: mapped.reduce((s, m) => s + mean(m, 'correct'), 0) / mapped.length,
        cost: mapped.reduce((s, m) => s + mean(m, 'cost'), 0) / mapped.length,
        shares: uniform,
      },
      cheapRow,
      bestRow,
      { name: 'oracle', quality: oracleQuality / n, cost: oracleCost / n, shares: shares(oracleCounts) },
    ],
    pgr: ratio(policyRow.quality - cheapRow.quality, bestRow.quality - cheapRow.quality),
  };
}

export function formatPolicyEvaluation(e: PolicyEvaluation): string {
  const unit = e.costUnit === 'usd' ? 'USD per prompt' : 'output characters per prompt (proxy)';
  const mapping = Object.entries(e.profileOf)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `${e.dataset} held-out: ${e.prompts} prompts (${e.unscored} not scored); models scored as ${mapping}; cost = ${unit}`,
    'router            quality   cost          shares',
  ];
  for (const r of [e.policy, ...e.baselines]) {
    const shares = Object.entries(r.shares)
      .map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`)
      .join(', ');
    const cost = e.costUnit === 'usd' ? `$${r.cost.toPrecision(3)}` : r.cost.toFixed(0);
    lines.push(`${r.name.padEnd(17)} ${r.quality.toFixed(3).padEnd(9)} ${cost.padEnd(13)} ${shares}`);
  }
  lines.push(`policy PGR (always-cheapest → always-best): ${e.pgr.toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}
