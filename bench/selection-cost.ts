// CPU per model selection for every registered algorithm at concurrency 1, beside the whole heuristic router's
// routing of one request (parse → signals → decision → selection → pool, `policies/default.yaml`) in the same run.
// Prompts: four short ones and one of about 2,000 characters, in turn. Each algorithm serves one decision with three
// candidates on warmed live figures (latency samples for every model, answers observed); the shared store is the
// in-memory one (a Redis round trip is network time, not CPU).
// Budgets (issue 12): ≤ 20 µs per selection for algorithms that do not learn from data, ≤ 150 µs for learned ones.
// Usage: node --import tsx bench/selection-cost.ts [--iterations 20000] [--policy policies/default.yaml]
import { parseArgs } from 'node:util';
import { createRequestRouter, defaultRouterDeps } from '../src/pipeline.ts';
import { compilePolicyText, loadPolicyFile } from '../src/policy/load-policy.ts';
import { decodeJsonBody, parseOpenAIRequest } from '../src/request/openai-request.ts';
import { buildRequestContext } from '../src/request/request-context.ts';
import { seededRandom } from '../src/seeded-random.ts';
import type { SelectionContext } from '../src/selection/model-selector.ts';
import { fmt, table } from './format.ts';

/** Learned algorithms carry the larger budget. */
const LEARNED = new Set(['knn', 'kmeans', 'svm', 'mlp', 'elo', 'rl_driven', 'router_dc']);

/** The algorithm block of the benchmarked decision, by algorithm; others run with `{type: <name>}`. */
const CONFIGS: Readonly<Record<string, string>> = {
  latency_aware: '{ type: latency_aware, latency_aware: { tpot_percentile: 90, ttft_percentile: 95 } }',
  multi_factor:
    '{ type: multi_factor, multi_factor: { weights: { quality: 0.4, latency: 0.2, cost: 0.2, load: 0.2 }, slo: { max_ttft_ms: 800 } } }',
  session_aware: '{ type: session_aware }',
  // Without a looper endpoint a looper routes to its final model: the cost of that choice, no model call.
  fusion: '{ type: fusion, fusion: { model: large } }',
  workflows: '{ type: workflows, workflows: { planner: { model: large } } }',
  prompt: '{ type: prompt, prompt: { model: small } }',
  // Its candidates need trained vectors, or it returns the first without embedding the prompt.
  router_dc:
    '{ type: router_dc, router_dc: { models: { small: Mixtral-8x7B-Instruct-v0.1, medium: Meta-Llama-3_1-70B-Instruct, large: gpt-4o-2024-05-13 } } }',
};

const PROMPTS = [
  'Write a Python function that merges two sorted lists and explain its complexity.',
  'What were the main causes of the First World War?',
  'Prove that the square root of two is irrational.',
  'Give me three ideas for a birthday dinner for six people.',
  // A long prompt: learned selectors featurise every word, so their cost grows with the text (up to a cap).
  [
    'A company is reviewing its quarterly accounts before an audit.',
    'Revenue rose by twelve percent while operating costs grew faster, driven by logistics, energy and wages.',
    'The board asks whether to refinance a floating-rate loan, delay a warehouse expansion, or cut the dividend.',
    'Consider interest-rate risk, covenant limits, the cash conversion cycle and the effect on earnings per share.',
    'Explain the trade-offs of each option, state your assumptions, and recommend one course of action.',
    'Then draft a short memo to shareholders that explains the decision without disclosing confidential figures.',
  ]
    .join(' ')
    .repeat(3),
];

function policyFor(algorithm: string): string {
  return `version: v1
default_model: small
auto_model_names: [auto]
pools:
  - { name: a-pool, max_context_tokens: 32K, cost_per_hour: 1 }
  - { name: b-pool, max_context_tokens: 128K, cost_per_hour: 4 }
models:
  - { name: small, pools: [a-pool], quality: 0.5, pricing: { prompt_per_1m: 0.05, completion_per_1m: 0.2 } }
  - { name: medium, pools: [a-pool, b-pool], quality: 0.7, pricing: { prompt_per_1m: 0.2, completion_per_1m: 0.8 } }
  - { name: large, pools: [b-pool], quality: 0.9, pricing: { prompt_per_1m: 0.6, completion_per_1m: 2.4 } }
routing:
  decisions:
    - name: bench
      modelRefs: [{ model: small }, { model: medium }, { model: large }]
      algorithm: ${CONFIGS[algorithm] ?? `{ type: ${algorithm} }`}
`;
}

function contextsFor(
  deps: ReturnType<typeof defaultRouterDeps>,
  policy: { modelsByName: SelectionContext['models'] },
) {
  return PROMPTS.map((text, i): SelectionContext => {
    const path = '/v1/chat/completions';
    const messages = [{ role: 'user', content: text }];
    const bytes = Buffer.from(JSON.stringify({ model: 'auto', messages }), 'utf8');
    const request = parseOpenAIRequest(decodeJsonBody(bytes), path);
    const headers = new Map([
      ['x-request-id', `bench-${i}`],
      ['x-session-id', `session-${i}`],
    ]);
    return {
      request: buildRequestContext({ method: 'POST', path, headers, request, identity: undefined }),
      signals: undefined,
      decision: 'bench',
      models: policy.modelsByName,
      pools: deps.pools,
      stats: deps.stats,
      store: deps.store,
      random: deps.random,
    };
  });
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function selectionCost(algorithm: string, iterations: number): Promise<number | string> {
  let policy: Awaited<ReturnType<typeof compilePolicyText>>;
  try {
    policy = await compilePolicyText(policyFor(algorithm), `${algorithm}.yaml`);
  } catch (error) {
    return `does not load with defaults: ${(error as Error).message.split('\n')[0]}`;
  }
  try {
    const decision = policy.decisions[0];
    if (!decision) return 'no decision';
    const deps = { ...defaultRouterDeps(), random: seededRandom(7) };
    const random = seededRandom(11);
    for (const model of ['small', 'medium', 'large'])
      for (let i = 0; i < 200; i++)
        deps.stats.record(model, {
          failed: random() < 0.02,
          ttftMs: 50 + random() * 200,
          tpotMs: 10 + random() * 30,
          latencyMs: 500 + random() * 2000,
          cost: random() * 0.001,
        });
    const contexts = contextsFor(deps, policy);
    const candidates = decision.modelRefs;
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const context = contexts[i % contexts.length] as SelectionContext;
        const pending = decision.selector.select(candidates, context);
        const chosen = pending instanceof Promise ? await pending : pending;
        if (i % 16 === 0 && decision.selector.observe)
          await decision.selector.observe({
            decision: 'bench',
            model: chosen.candidate.model,
            requestId: `bench-${i}`,
            memo: chosen.memo,
            status: 200,
            failed: false,
            ttftMs: 100,
            tpotMs: 20,
            latencyMs: 1000,
            cost: 0.0005,
            store: deps.store,
          });
      }
    };
    await run(Math.min(2000, iterations));
    const start = cpuMicros();
    await run(iterations);
    return (cpuMicros() - start) / iterations;
  } finally {
    policy.close();
  }
}

async function routerCost(policyFile: string, iterations: number): Promise<number> {
  const policy = await loadPolicyFile(policyFile);
  try {
    const router = createRequestRouter(policy);
    const inputs = PROMPTS.map((text) => ({
      method: 'POST',
      path: '/v1/chat/completions',
      api: 'chat_completions' as const,
      headers: new Map([['content-type', 'application/json']]),
      body: Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] })),
    }));
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) await router.route(inputs[i % inputs.length] as (typeof inputs)[number]);
    };
    await run(Math.min(2000, iterations));
    const start = cpuMicros();
    await run(iterations);
    return (cpuMicros() - start) / iterations;
  } finally {
    policy.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '20000' },
      policy: { type: 'string', default: 'policies/default.yaml' },
    },
  });
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error('--iterations must be a positive integer');
  const { selectionAlgorithms } = await import('../src/selection/model-selector.ts');
  const router = await routerCost(String(values.policy), Math.max(1, Math.floor(iterations / 4)));
  const rows: string[][] = [];
  for (const algorithm of [...selectionAlgorithms.keys()].sort()) {
    const cost = await selectionCost(algorithm, iterations);
    const budget = LEARNED.has(algorithm) ? 150 : 20;
    rows.push(
      typeof cost === 'string'
        ? [algorithm, '—', '—', `${budget}`, cost]
        : [
            algorithm,
            fmt(cost, 2),
            `${fmt((cost / router) * 100, 1)} %`,
            `${budget}`,
            cost <= budget ? 'met' : 'MISSED',
          ],
    );
  }
  process.stdout.write(
    `Heuristic router, whole routing of one request (${values.policy}): ${fmt(router, 1)} µs CPU\n\n`,
  );
  process.stdout.write(
    `${table(['algorithm', 'µs CPU / selection', 'of the router', 'budget µs', 'verdict'], rows)}\n`,
  );
}

await main();
