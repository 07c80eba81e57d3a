// `domains` rules' `model_scores` (the peer's per-domain model scores): accepted, reported once, never routed on.
import { expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { signalRulesPolicy } from '../../helpers/peer-fragment.ts';

it('domain rules with model_scores load with one warning that they do not steer selection', async () => {
  const rules = [
    {
      name: 'business',
      mmlu_categories: ['business'],
      model_scores: [{ model: 'm', score: 0.96, use_reasoning: true }],
    },
    { name: 'law', mmlu_categories: ['law'], model_scores: [{ model: 'm', score: 0.5 }] },
    { name: 'health', mmlu_categories: ['health'] },
  ];
  const policy = await compilePolicyText(
    signalRulesPolicy('domains', rules, [
      { name: 'biz', rules: { type: 'domain', name: 'business' }, modelRefs: [{ model: 'm' }] },
    ]),
    'domains.yaml',
  );
  try {
    const warnings = policy.warnings.filter((w) => w.message.includes('model_scores'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.path).toBe('routing.signals.domains[0].model_scores');
    expect(warnings[0]?.message).toContain('2 domain rules');
  } finally {
    policy.close();
  }
});
