// The real `pii` signal with the committed tagger on fixed samples of the cross-source sets: a rule that reports
// names stays quiet on exam questions and everyday prompts and still finds names tied to personal data.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { piiFamily } from '../../../src/signals/pii.ts';
import type { SignalEvaluator } from '../../../src/signals/signal-family.ts';
import {
  crossSourceSets,
  PII_FIRE_RATE_TARGET,
  type PiiCrossSourceSet,
} from '../../../src/training/datasets/pii-cross-source.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { PII_TEST_DEPS } from './pii-helpers.ts';

const DATA = path.resolve('../shared/data');
const haveData = existsSync(path.join(DATA, 'presidio-synth')) && existsSync(path.join(DATA, 'mmlu-pro'));

/** Every k-th row, `n` in all: the same rows on every run, spread over the whole file. */
function sample(set: PiiCrossSourceSet | undefined, n: number): string[] {
  if (set === undefined) throw new Error('missing set');
  const stride = Math.max(1, Math.floor(set.rows.length / n));
  return set.rows
    .filter((_, i) => i % stride === 0)
    .slice(0, n)
    .map((r) => r.text);
}

describe.runIf(haveData)('pii signal on cross-source samples (committed model)', () => {
  const names = {
    name: 'names',
    pii_types: ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'US_SSN', 'PERSON'],
  };
  let evaluator: SignalEvaluator;
  let sets: Map<string, PiiCrossSourceSet>;
  beforeAll(async () => {
    evaluator = await piiFamily.create([piiFamily.ruleSchema.parse(names)], PII_TEST_DEPS);
    sets = new Map(crossSourceSets(DATA).map((s) => [s.name, s]));
  });
  afterAll(() => evaluator.close?.());

  async function fireRate(texts: readonly string[]): Promise<number> {
    let fired = 0;
    for (const text of texts) if ((await evaluator.evaluate(contextFor(text))).length > 0) fired++;
    return fired / texts.length;
  }

  it.each([
    ['mmlu-pro', 100],
    ['mmlu-redux', 100],
    ['alpacaeval-prompts', 100],
    ['clinc150 test', 100],
  ])('fires on at most 5 percent of %s (%i rows)', async (name, n) => {
    expect(await fireRate(sample(sets.get(name), n))).toBeLessThanOrEqual(PII_FIRE_RATE_TARGET);
  });

  it('stays quiet on sentences in German, Swedish and Vietnamese (capitalised nouns, other scripts)', async () => {
    const texts = ['de', 'sv', 'vi'].flatMap((lang) => sample(sets.get(`lingua-langid ${lang}`), 50));
    expect(await fireRate(texts)).toBeLessThanOrEqual(0.04);
  });

  it('finds names tied to personal data in held-out texts', async () => {
    expect(await fireRate(sample(sets.get('pii-synthetic-nano: PERSON'), 50))).toBeGreaterThanOrEqual(0.85);
    // Presidio's held-out templates also name film directors, founders and characters of a dialogue: those are
    // reported below the threshold on purpose (see models/pii/README.md).
    expect(
      await fireRate(sample(sets.get('presidio-synth held-out templates: PERSON'), 50)),
    ).toBeGreaterThanOrEqual(0.5);
  });
});
