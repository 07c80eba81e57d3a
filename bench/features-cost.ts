// What the features of the later issues cost the router, in process: the StreamProcessor driven through the four
// ext_proc phases of the benchmark's request mix (bench/workload.ts, from ../shared/data) with the default policy
// and with its `features` variant (bench/features-policy.ts: least_loaded pools over live pool state, three rate
// limits that never refuse, a response cache whose lookups always miss, the response stage reading every answer),
// in interleaved rounds (the order alternates). Metrics are on in both (a Prometheus reader, as `serve` has, and
// the response cache's instruments on the features variant's meter: only its requests look the cache up);
// tracing is off. CPU is process.cpuUsage() over each block of requests.
// Target: features ≤ 1.3× the router without them.
// Usage: node --import tsx bench/features-cost.ts [--requests 400] [--rounds 8] [--warmup 3000]
//        [--policy policies/default.yaml] [--data ../shared/data] [--skip-long] [--json]
//        [--only default|features] (one variant alone, for a CPU profile)
//        [--features-policy FILE] (measure FILE as the features variant, e.g. one feature alone)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPrometheusMetrics } from '../src/admin/prometheus-exporter.ts';
import { createRequestRouter, type RequestRouter } from '../src/pipeline.ts';
import { observeResponseCache } from '../src/plugins/response-cache/cache-metrics.ts';
import { RESPONSE_CACHE } from '../src/plugins/response-cache/response-cache-registry.ts';
import { loadPolicyFile } from '../src/policy/load-policy.ts';
import type { Policy } from '../src/policy/policy.ts';
import { AggregatedMetrics } from '../src/telemetry/aggregated-metrics.ts';
import { createTelemetry, type Telemetry } from '../src/telemetry/telemetry.ts';
import { runBenchMain } from './child-processes.ts';
import { IN_PROCESS_OPTIONS, type InProcessRunOptions, inProcessRun } from './cli-options.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { writeFeaturesPolicy } from './features-policy.ts';
import { fmt, table } from './format.ts';
import { driveExchange, type Exchange, loadExchanges } from './in-process-exchange.ts';
import { roundOrder } from './round-order.ts';

export const FEATURES_TARGET = 1.3;

export type FeaturesVariantName = 'default' | 'features';

export interface FeaturesCostOptions extends InProcessRunOptions {
  /** A features policy file to measure instead of the one written from `policy` (e.g. one feature alone). */
  readonly featuresPolicy?: string;
  /** Measure one variant alone (for a CPU profile); no ratio then. */
  readonly only?: FeaturesVariantName;
}

export interface FeaturesVariantCost {
  readonly name: FeaturesVariantName;
  /** CPU µs per request over all rounds. */
  readonly cpuUsPerRequest: number;
  /** Median over rounds of the variant's CPU µs per request. */
  readonly medianUsPerRequest: number;
}

export interface FeaturesCost {
  readonly requestsPerVariant: number;
  readonly rounds: number;
  readonly variants: readonly FeaturesVariantCost[];
  /** Median over rounds of features / default in the same round (undefined with `only`). */
  readonly medianRatio: number | undefined;
  /** Median over rounds of features − default in the same round, µs per request. */
  readonly medianExtraUs: number | undefined;
}

interface Variant {
  readonly name: FeaturesVariantName;
  readonly policy: Policy;
  readonly router: RequestRouter;
  readonly telemetry: Telemetry;
}

/** CPU µs per request of one block of `exchanges`. */
async function block(variant: Variant, exchanges: readonly Exchange[]): Promise<number> {
  const before = process.cpuUsage();
  for (const exchange of exchanges)
    await driveExchange(variant.router, variant.telemetry.startStream(), exchange);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / exchanges.length;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

async function variantFor(name: FeaturesVariantName, policyFile: string): Promise<Variant> {
  const policy = await loadPolicyFile(policyFile);
  // As `serve` builds it: the per-request instruments reach the reader through the aggregated metrics.
  const aggregatedMetrics = new AggregatedMetrics();
  const telemetry = createTelemetry({
    env: {},
    metricReaders: [createPrometheusMetrics([aggregatedMetrics]).reader],
    aggregatedMetrics,
  });
  if (name === 'features') observeResponseCache(telemetry.meter, RESPONSE_CACHE);
  return { name, policy, router: createRequestRouter(policy), telemetry };
}

export async function measureFeaturesCost(options: FeaturesCostOptions): Promise<FeaturesCost> {
  const exchanges = loadExchanges(
    path.resolve(REPO_ROOT, options.data),
    Math.max(options.requests, 1000),
    options.seed ?? 42,
    options.skipLong ?? false,
  );
  const policyFile = path.resolve(REPO_ROOT, options.policy);
  const files: Record<FeaturesVariantName, () => string> = {
    default: () => policyFile,
    features: () =>
      options.featuresPolicy === undefined
        ? writeFeaturesPolicy(policyFile)
        : path.resolve(REPO_ROOT, options.featuresPolicy),
  };
  const names: FeaturesVariantName[] = options.only ? [options.only] : ['default', 'features'];
  const variants: Variant[] = [];
  try {
    for (const name of names) variants.push(await variantFor(name, files[name]()));
    for (const variant of variants)
      for (let i = 0; i < options.warmup; i++)
        await driveExchange(
          variant.router,
          variant.telemetry.startStream(),
          exchanges[i % exchanges.length] as Exchange,
        );
    const samples = variants.map(() => [] as number[]);
    let offset = options.warmup;
    for (let round = 0; round < options.rounds; round++) {
      const slice = Array.from(
        { length: options.requests },
        (_, i) => exchanges[(offset + i) % exchanges.length] as Exchange,
      );
      offset += options.requests;
      // Neither variant always pays for the other's garbage (round-order.ts).
      for (const index of roundOrder(round, variants.length))
        samples[index]?.push(await block(variants[index] as Variant, slice));
    }
    const [base, features] = samples;
    const paired = base && features && features.length === base.length;
    return {
      requestsPerVariant: options.requests * options.rounds,
      rounds: options.rounds,
      variants: variants.map((variant, index) => ({
        name: variant.name,
        cpuUsPerRequest: sum(samples[index] ?? []) / options.rounds,
        medianUsPerRequest: median(samples[index] ?? []),
      })),
      medianRatio: paired
        ? median(features.map((value, round) => value / (base[round] as number)))
        : undefined,
      medianExtraUs: paired
        ? median(features.map((value, round) => value - (base[round] as number)))
        : undefined,
    };
  } finally {
    for (const variant of variants) {
      await variant.telemetry.shutdown();
      variant.policy.close();
    }
  }
}

export function formatFeaturesCost(result: FeaturesCost): string {
  const rows = result.variants.map((v) => [v.name, fmt(v.cpuUsPerRequest, 1), fmt(v.medianUsPerRequest, 1)]);
  const lines = [
    `features cost in process: ${fmt(result.requestsPerVariant)} requests per variant, ${result.rounds} interleaved rounds`,
    table(['policy', 'CPU µs/request', 'median round'], rows),
  ];
  if (result.medianRatio !== undefined && result.medianExtraUs !== undefined)
    lines.push(
      `features / default (median round): ${fmt(result.medianRatio, 3)}× (+${fmt(result.medianExtraUs, 1)} µs/request), ` +
        `${result.medianRatio <= FEATURES_TARGET ? 'ok' : 'MISSED'} (≤ ${FEATURES_TARGET}×)`,
    );
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...IN_PROCESS_OPTIONS,
      only: { type: 'string' },
      'features-policy': { type: 'string' },
    },
  });
  const only = values.only;
  if (only !== undefined && only !== 'default' && only !== 'features')
    throw new Error("--only must be 'default' or 'features'");
  const result = await measureFeaturesCost({
    ...inProcessRun(values),
    ...(only !== undefined && { only }),
    ...(values['features-policy'] !== undefined && { featuresPolicy: values['features-policy'] }),
  });
  process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatFeaturesCost(result)}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await runBenchMain('features-cost', main);
