// `node --import tsx bench/looper.ts [--requests 50] [--ttft-ms 100]`: the latency a looper decision adds, routed
// in-process (no gRPC) against a local stub model server whose every answer takes --ttft-ms. Prints per
// algorithm the model calls per request and the p50 / p95 routing latency: the critical path of its calls.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createRequestRouter, defaultRouterDeps } from '../src/pipeline.ts';
import { compilePolicyText } from '../src/policy/load-policy.ts';
import { createStubServer } from '../src/stub/openai-stub.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '50' }, 'ttft-ms': { type: 'string', default: '100' } },
});
const requests = Number(values.requests);
const ttftMs = Number(values['ttft-ms']);

const ALGORITHMS: Record<string, string> = {
  static: 'type: static',
  confidence: 'type: confidence\n        confidence: { threshold: 0.99 }',
  ratings: 'type: ratings',
  remom: 'type: remom\n        remom: { breadth_schedule: [3, 2] }',
  fusion: 'type: fusion\n        fusion: { model: large, analysis_models: [small, medium] }',
  workflows: 'type: workflows\n        workflows: { planner: { model: large }, max_steps: 2 }',
};

function policy(endpoint: string, algorithm: string): string {
  return `version: v1
default_model: small
looper: { endpoint: ${endpoint} }
pools: [ { name: p, max_context_tokens: 32K } ]
models:
  - { name: small, pools: [p] }
  - { name: medium, pools: [p] }
  - { name: large, pools: [p] }
routing:
  decisions:
    - name: all
      rules: { operator: AND, conditions: [] }
      modelRefs: [ { model: small }, { model: medium }, { model: large } ]
      algorithm:
        ${algorithm}
`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const stub = createStubServer({ pool: 'bench', ttftMs });
stub.listen(0, '127.0.0.1');
await once(stub, 'listening');
const base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
const servedCount = async () => {
  const state = (await (await fetch(`${base}/stub/state`)).json()) as { served: Record<string, number> };
  return Object.values(state.served).reduce((sum, n) => sum + n, 0);
};
const body = Buffer.from(
  JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Explain TCP slow start.' }] }),
);
console.log(`requests per algorithm: ${requests}, stub ttft: ${ttftMs} ms`);
console.log('algorithm   calls/request   p50 ms   p95 ms');
for (const [name, algorithm] of Object.entries(ALGORITHMS)) {
  const compiled = await compilePolicyText(policy(`${base}/v1/chat/completions`, algorithm), 'bench.yaml');
  const router = createRequestRouter(compiled, { ...defaultRouterDeps(), callModels: true });
  const before = await servedCount();
  const latencies: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await router.route({
      method: 'POST',
      path: '/v1/chat/completions',
      api: 'chat_completions',
      headers: new Map(),
      body,
    });
    latencies.push(performance.now() - started);
  }
  const calls = ((await servedCount()) - before) / requests;
  latencies.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(12)}${calls.toFixed(1).padStart(13)}${percentile(latencies, 50).toFixed(1).padStart(9)}${percentile(latencies, 95).toFixed(1).padStart(9)}`,
  );
  compiled.close();
}
stub.closeAllConnections();
stub.close();
