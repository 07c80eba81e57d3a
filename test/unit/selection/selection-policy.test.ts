// Live-state algorithms as a policy writes them: load errors, and what explain and the debug header show.
import { describe, expect, it } from 'vitest';
import { explainRequest, formatExplanation } from '../../../src/cli/explain.ts';
import { defaultRouterDeps } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { MemoryStore } from '../../../src/state/shared-store.ts';
import { LIVE_POLICY } from './live-fixtures.ts';

function withDecision(algorithm: string): string {
  return `${LIVE_POLICY}
routing:
  decisions:
    - name: chat
      rules: { operator: AND, conditions: [] }
      modelRefs: [ { model: small }, { model: medium }, { model: large } ]
      algorithm:
${algorithm
  .trim()
  .split('\n')
  .map((line) => `        ${line}`)
  .join('\n')}
`;
}

async function loadError(text: string): Promise<string> {
  const error = await compilePolicyText(text, 'policy.yaml').then(
    (policy) => {
      policy.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  return error instanceof Error ? error.message : 'loaded';
}

describe('selection algorithms in a policy', () => {
  it.each([
    ['decision', /'decision' is not supported: it asks the peer's decision model/],
    ['gmtrouter', /'gmtrouter' is not supported/],
  ])('rejects %s at load with why the router cannot run it', async (type, message) => {
    const error = await loadError(withDecision(`type: ${type}`));
    expect(error).toMatch(message);
    expect(error).toContain('policy.yaml');
    expect(error).toMatch(/use one of: .*latency_aware/);
  });

  it('reports a bad algorithm config at load, naming the field', async () => {
    const error = await loadError(withDecision('type: latency_aware\nlatency_aware: { ttft_percentile: 0 }'));
    expect(error).toMatch(/ttft_percentile/);
    expect(error).toMatch(/1\.\.100/);
  });

  it("loads the peer's multi_factor, latency_aware and automix fragments as written", async () => {
    for (const fragment of [
      'type: multi_factor\nmulti_factor:\n  weights: { quality: 0.4, latency: 0.2, cost: 0.2, load: 0.2 }\n  slo: { max_tpot_ms: 200, max_ttft_ms: 800, max_cost_per_1m: 5.0, max_inflight: 50 }\n  latency_percentile: 95\n  on_no_candidates: cheapest',
      'type: latency_aware\nlatency_aware: { tpot_percentile: 90, ttft_percentile: 95 }',
      'type: automix\nautomix: { verification_threshold: 0.78, max_escalations: 2, cost_aware_routing: true }',
    ]) {
      expect(await loadError(withDecision(fragment))).toBe('loaded');
    }
  });

  it('explain shows the algorithm, its reason and each candidate score with its parts; the debug header too', async () => {
    const text = withDecision(
      'type: multi_factor\nmulti_factor:\n  weights: { quality: 0.5, cost: 0.5, latency: 0, load: 0 }\n  slo: { max_cost_per_1m: 5 }',
    );
    const policy = await compilePolicyText(text, 'policy.yaml');
    try {
      const body = Buffer.from(
        JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }),
      );
      const deps = { ...defaultRouterDeps(), store: new MemoryStore() };
      const explanation = await explainRequest(
        policy,
        'policy.yaml',
        body,
        new Map([['x-router-debug', 'true']]),
        undefined,
        deps,
      );
      expect(explanation.selection?.algorithm).toBe('multi_factor');
      expect(explanation.selection?.candidates.map((c) => c.model)).toEqual(['small', 'medium', 'large']);
      expect(explanation.selection?.candidates[2]?.excluded).toMatch(/^slo: price/);
      expect(explanation.selection?.candidates[0]?.parts).toMatchObject({ quality: 0, cost: 1 });
      const text = formatExplanation(explanation);
      expect(text).toMatch(/selection multi_factor: highest score/);
      expect(text).toMatch(/=> (small|medium)\s+score [\d.]+ {2}\(quality [\d.]+, cost [\d.]+/);
      expect(text).toMatch(/ {3}large\s+excluded: slo: price/);
      const header = explanation.clientHeaders.find(([name]) => name === 'x-router-selection')?.[1];
      expect(header).toMatch(
        /^multi_factor; highest score: .*; small=[\d.]+\(quality:0 cost:1 .*large=excluded\(slo: price/,
      );
      expect(header?.length).toBeLessThanOrEqual(1024);
    } finally {
      policy.close();
    }
  });
});
