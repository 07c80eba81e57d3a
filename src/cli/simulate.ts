// `semantic-router simulate`: flags, progress and output; the simulation lives in src/simulate/.
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatPolicyIssue, PolicyError } from '../errors.ts';
import { loadPolicyFile } from '../policy/load-policy.ts';
import { selectionAlgorithms } from '../selection/model-selector.ts';
import { defaultFleetPaths, loadFleet } from '../simulate/fleet.ts';
import { SimulationInputError } from '../simulate/input-error.ts';
import { poolsCsv, renderTables, summaryCsv } from '../simulate/report.ts';
import { type SimulationResult, simulate } from '../simulate/simulator.ts';
import { applyStrategy, defaultStrategies, parseStrategies, StrategyError } from '../simulate/strategies.ts';
import { renderSvg } from '../simulate/svg-plot.ts';
import { BUILT_IN_PROMPTS, readPrompts } from '../simulate/synthetic-request.ts';
import { readTrace } from '../simulate/trace.ts';
import type { CommandIO } from './validate.ts';

export const SIMULATE_USAGE = `usage:
  semantic-router simulate --policy FILE --trace FILE [--fleet FILE] [--strategies a,b,...] [--limit N]
      [--seed 1] [--prompts FILE] [--out DIR]
  Replays a request trace (Azure LLM inference .csv, Mooncake .jsonl) through the policy's real routing
  (signals, decision, model selection, pool selection) against a discrete-event model of the pools declared
  in --fleet (default: x.fleet.yaml beside policy x.yaml, else examples/x.fleet.yaml; see docs/simulate.md),
  once per strategy.
  --strategies: pool strategies (ordered, least_loaded, lowest_latency, cheapest, weighted, …), selection
  algorithms (applied to decisions with several modelRefs; select:NAME where a pool strategy has the name),
  a+b for one of each, or 'policy' (as written);
  default: every registered pool strategy. Prints p50/p99 TTFT and end-to-end latency, throughput, busy
  GPU-hours and cost per pool, prefix-cache hits and rejected requests; --out DIR also writes
  simulate-summary.csv, simulate-pools.csv and simulate.svg. --prompts: the questions requests end with
  (.txt one per line, .jsonl / .csv with a prompt, text or instruction field). Same seed, same figures.
`;

class UsageError extends Error {}

interface SimulateArgs {
  readonly policy: string;
  readonly trace: string;
  readonly fleet: string | undefined;
  readonly strategies: string | undefined;
  readonly limit: number | undefined;
  readonly seed: number;
  readonly prompts: string | undefined;
  readonly out: string | undefined;
}

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return parsed;
}

function parseSimulateArgs(args: string[]): SimulateArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      policy: { type: 'string' },
      trace: { type: 'string' },
      fleet: { type: 'string' },
      strategies: { type: 'string' },
      limit: { type: 'string' },
      seed: { type: 'string' },
      prompts: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (!values.policy) throw new UsageError('simulate needs --policy FILE');
  if (!values.trace) throw new UsageError('simulate needs --trace FILE');
  return {
    policy: values.policy,
    trace: values.trace,
    fleet: values.fleet,
    strategies: values.strategies,
    limit: integer(values.limit, 'limit', 1),
    seed: integer(values.seed, 'seed', 0) ?? 1,
    prompts: values.prompts,
    out: values.out,
  };
}

/** The fleet file named, else the first default one that exists. */
async function fleetFile(policyFile: string, named: string | undefined): Promise<string> {
  if (named !== undefined) return named;
  const candidates = defaultFleetPaths(policyFile);
  for (const candidate of candidates) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // Not there: try the next place.
    }
  }
  throw new SimulationInputError(
    policyFile,
    `no fleet file for this policy (looked for ${candidates.join(' and ')}): name one with --fleet`,
  );
}

/** `semantic-router simulate …`; exit 0 when every strategy ran, 1 on an input error, 2 on a usage error. */
export async function simulateCommand(args: string[], io: CommandIO): Promise<number> {
  let parsed: SimulateArgs;
  try {
    parsed = parseSimulateArgs(args);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`simulate: ${(error as Error).message}\n${SIMULATE_USAGE}`);
      return 2;
    }
    throw error;
  }
  try {
    const specs = parsed.strategies === undefined ? defaultStrategies() : parseStrategies(parsed.strategies);
    const trace = await readTrace(parsed.trace, parsed.limit);
    const prompts = parsed.prompts === undefined ? BUILT_IN_PROMPTS : await readPrompts(parsed.prompts);
    const results: SimulationResult[] = [];
    const fleetPath = await fleetFile(parsed.policy, parsed.fleet);
    await selectionAlgorithms.load(specs.flatMap((spec) => spec.algorithm ?? []));
    for (const spec of specs) {
      // A fresh policy per strategy: selection algorithms keep state, and each run must start from nothing.
      const policy = await loadPolicyFile(parsed.policy);
      try {
        const fleet = await loadFleet(fleetPath, policy);
        const started = performance.now();
        const result = await simulate({
          label: spec.label,
          policy: applyStrategy(policy, spec, fleet),
          fleet,
          trace,
          seed: parsed.seed,
          prompts,
        });
        const seconds = (performance.now() - started) / 1000;
        io.err(`simulate: ${spec.label}: ${trace.length} requests in ${seconds.toFixed(1)} s\n`);
        results.push(result);
      } finally {
        policy.close();
      }
    }
    const span = ((trace.at(-1)?.arrivalMs ?? 0) / 1000).toFixed(0);
    io.out(
      `${trace.length} requests over ${span} s from ${parsed.trace}; policy ${parsed.policy}; fleet ${fleetPath}; seed ${parsed.seed}\n\n`,
    );
    io.out(renderTables(results));
    if (parsed.out !== undefined) {
      await mkdir(parsed.out, { recursive: true });
      const title = `${path.basename(parsed.trace)} through ${path.basename(parsed.policy)} (${trace.length} requests, seed ${parsed.seed})`;
      const files: [string, string][] = [
        ['simulate-summary.csv', summaryCsv(results)],
        ['simulate-pools.csv', poolsCsv(results)],
        ['simulate.svg', renderSvg(results, title)],
      ];
      for (const [name, content] of files) await writeFile(path.join(parsed.out, name), content);
      io.out(`\nwrote ${files.map(([name]) => path.join(parsed.out as string, name)).join(', ')}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof PolicyError) {
      for (const issue of error.issues) io.err(`${formatPolicyIssue(issue)}\n`);
      return 1;
    }
    if (error instanceof SimulationInputError || error instanceof StrategyError) {
      io.err(`simulate: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
