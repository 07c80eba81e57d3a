// `embeddings` rules' `query_modality`: text is embedded as always; image and audio need a multimodal embedder this
// router does not ship, so such a rule never matches — a policy warning, or an error when a guarding decision reads it.
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { peerSignalRules, signalRulesPolicy } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';

const IMAGE_RULES = peerSignalRules<{ name: string }>('signal/embedding/image-routing.yaml', 'embeddings');
const TEXT_RULES = peerSignalRules<{ name: string }>('signal/embedding/support.yaml', 'embeddings');

function routeTo(name: string, plugins?: unknown[]) {
  return {
    name: `to-${name}`,
    rules: { type: 'embedding', name },
    modelRefs: [{ model: 'm' }],
    ...(plugins && { plugins }),
  };
}

describe('query_modality', () => {
  it("the peer's image-routing fragment loads with one warning per image rule, which never match", async () => {
    const rule = IMAGE_RULES[0]?.name ?? '';
    const policy = await compilePolicyText(
      signalRulesPolicy(
        'embeddings',
        [...IMAGE_RULES, ...TEXT_RULES],
        [routeTo(rule), routeTo('technical_support')],
      ),
      'image-routing.yaml',
    );
    try {
      const warnings = policy.warnings.filter((w) => w.path.endsWith('query_modality'));
      expect(warnings).toHaveLength(IMAGE_RULES.length);
      expect(warnings[0]?.message).toContain('never matches');
      const report = await policy.signals.evaluate(contextFor('photograph of a passport page'));
      expect(report.matches.has(`embedding:${rule}`)).toBe(false);
    } finally {
      policy.close();
    }
  });

  it('query_modality: text behaves as a rule without it', async () => {
    const rules = [
      { name: 'with', query_modality: 'text', threshold: 0.9, candidates: ['installation guide'] },
      { name: 'without', threshold: 0.9, candidates: ['installation guide'] },
    ];
    const policy = await compilePolicyText(
      signalRulesPolicy('embeddings', rules, [routeTo('with'), routeTo('without')]),
      'text.yaml',
    );
    try {
      expect(policy.warnings).toEqual([]);
      const report = await policy.signals.evaluate(contextFor('installation guide'));
      expect(report.matches.get('embedding:with')?.confidence).toBe(
        report.matches.get('embedding:without')?.confidence,
      );
      expect(report.matches.has('embedding:with')).toBe(true);
    } finally {
      policy.close();
    }
  });

  it('an image rule read by a blocking decision is an error, unless --allow-unsupported', async () => {
    const rule = IMAGE_RULES[0]?.name ?? '';
    const yaml = signalRulesPolicy('embeddings', IMAGE_RULES, [
      routeTo(rule, [{ type: 'block', configuration: {} }]),
    ]);
    const error = await compilePolicyText(yaml, 'guard.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toContain('query_modality image');
    const policy = await compilePolicyText(yaml, 'guard.yaml', { allowUnsupported: true });
    try {
      expect(policy.warnings.some((w) => w.message.includes('--allow-unsupported'))).toBe(true);
    } finally {
      policy.close();
    }
  });

  it('rejects a modality the peer does not have', async () => {
    const yaml = signalRulesPolicy(
      'embeddings',
      [{ name: 'v', query_modality: 'video', threshold: 0.9, candidates: ['x'] }],
      [routeTo('v')],
    );
    await expect(compilePolicyText(yaml, 'v.yaml')).rejects.toThrow(
      'query_modality must be text, image or audio',
    );
  });
});
