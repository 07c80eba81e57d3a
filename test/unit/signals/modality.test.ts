// `modality` family: AR / DIFFUSION / BOTH from the last user message, as vLLM Semantic Router's modality rules.

import { describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { modalityFamily } from '../../../src/signals/modality.ts';
import { detectModality } from '../../../src/signals/modality-detect.ts';
import { peerSignalRules, signalRulesPolicy } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

const ALL_RULES = [{ name: 'AR' }, { name: 'DIFFUSION' }, { name: 'BOTH' }];

function matched(prompt: string, rules: readonly unknown[] = ALL_RULES): string[] {
  return evaluateFamily(modalityFamily, rules, contextFor(prompt)).map((m) => m.name);
}

describe('modality', () => {
  it.each([
    ['Draw a lighthouse on a cliff', 'DIFFUSION'],
    ['please generate an image of a teapot shaped like a whale', 'DIFFUSION'],
    ['a watercolor painting of a harbour at dawn', 'DIFFUSION'],
    ['Zeichne einen Baum im Winter', 'DIFFUSION'],
    ['帮我画一只猫', 'DIFFUSION'],
    ['Write a haiku about rain and illustrate it', 'BOTH'],
    ['Explain the water cycle with a diagram', 'BOTH'],
    ['How do I draw a conclusion from a survey?', 'AR'],
    ['Draw up a rental agreement', 'AR'],
    ['How does JPEG image compression work?', 'AR'],
    ['what is the capital of Peru', 'AR'],
  ])('%s → %s', (prompt, expected) => {
    expect(matched(prompt)).toEqual([expected]);
  });

  it('an empty message is AR with full confidence, as in the peer', () => {
    expect(detectModality('   ')).toEqual({ modality: 'AR', confidence: 1, cue: 'empty' });
  });

  it('only the rule named after the detected modality matches, and only if it is defined', () => {
    expect(matched('draw a horse', [{ name: 'AR' }])).toEqual([]);
    expect(matched('draw a horse', [{ name: 'DIFFUSION' }])).toEqual(['DIFFUSION']);
  });

  it('a long message is read by its start and end: an ask that closes it counts, one buried in the middle does not', () => {
    const context = 'The quarterly report covers revenue, costs and staffing. '.repeat(400);
    expect(detectModality(`${context} Now draw a chart-style picture of a lighthouse.`).modality).toBe(
      'DIFFUSION',
    );
    expect(detectModality(`${context} Draw a lighthouse. ${context}`).modality).toBe('AR');
  });

  it('rejects a rule name the peer does not define', () => {
    expect(modalityFamily.ruleSchema.safeParse({ name: 'IMAGE' }).success).toBe(false);
  });
});

it("the peer's modality fragment loads and routes an image request to its decision", async () => {
  const rules = peerSignalRules('signal/modality/multimodal.yaml', 'modality');
  const policy = await compilePolicyText(
    signalRulesPolicy('modality', rules, [
      { name: 'image', rules: { type: 'modality', name: 'DIFFUSION' }, modelRefs: [{ model: 'm' }] },
      { name: 'both', rules: { type: 'modality', name: 'BOTH' }, modelRefs: [{ model: 'm' }] },
    ]),
    'multimodal.yaml',
  );
  try {
    const image = await policy.signals.evaluate(contextFor('Generate a picture of a red bicycle'));
    expect([...image.matches.keys()]).toEqual(['modality:DIFFUSION']);
    const text = await policy.signals.evaluate(contextFor('Summarise the causes of the French revolution'));
    expect([...text.matches.keys()]).toEqual(['modality:AR']);
  } finally {
    policy.close();
  }
});
