// `modality` family (condition type `modality`): vLLM Semantic Router's rules AR / DIFFUSION / BOTH. The last user
// message is classified once (src/signals/modality-detect.ts) and only the rule named after the result matches.
import { z } from 'zod';
import { detectModality, MODALITIES, type Modality } from './modality-detect.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

const modalityRuleSchema = z.strictObject({
  name: z.enum(MODALITIES, { message: `a modality rule is named ${MODALITIES.join(', ')}` }),
  description: z.string().optional(),
});

export type ModalityRule = z.infer<typeof modalityRuleSchema>;

export const modalityFamily = defineSignalFamily<ModalityRule>({
  family: 'modality',
  conditionType: 'modality',
  ruleSchema: modalityRuleSchema,
  create(rules) {
    const defined = new Set<Modality>(rules.map((r) => r.name));
    return {
      evaluate(context): SignalMatch[] {
        const result = detectModality(context.lastUserText);
        if (!defined.has(result.modality)) return [];
        return [{ name: result.modality, confidence: result.confidence, detail: `cue=${result.cue}` }];
      },
    };
  },
});
