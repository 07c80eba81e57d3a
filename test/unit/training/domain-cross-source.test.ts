// The domain model's cross-source figures: sets kept out of training, how they are scored, and the committed
// model's figures pinned on fixed samples so a regression fails CI.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSessionPool } from '../../../src/ml/onnx-session-pool.ts';
import { WideMlpClassifier } from '../../../src/ml/wide-mlp/classifier-runtime.ts';
import type { CrossSourceSet } from '../../../src/training/datasets/cross-source.ts';
import { loadDomainDataset } from '../../../src/training/datasets/domain.ts';
import { domainCrossSourceSets } from '../../../src/training/datasets/domain-cross-source.ts';
import { normalizeForDedupe } from '../../../src/training/datasets/split.ts';
import type { LabelledText } from '../../../src/training/datasets/types.ts';
import { withTypos } from '../../../src/training/datasets/typos.ts';
import {
  crossSourceFigure,
  crossSourceTable,
  decisionFor,
} from '../../../src/training/eval/cross-source-figures.ts';

const DATA = path.resolve('../shared/data');
const MODEL = path.resolve('models/domain/model.onnx');
/** The committed model's figures on the fixed samples below, less a small margin. */
const FLOORS = { typos: 0.6, unlabelled: 0.25, clinc: 0.4, alpaca: 0.6 };

function row(text: string, label: number): LabelledText {
  return { text, label, source: 's', group: text };
}

describe('typo generator', () => {
  it('is deterministic and changes some longer words, never short ones', () => {
    const text =
      'Which of the following statements about photosynthesis in vascular plants is correct? a b c';
    expect(withTypos(text)).toBe(withTypos(text));
    const heavy = withTypos(text, 1);
    expect(heavy).not.toBe(text);
    expect(heavy.endsWith('? a b c')).toBe(true);
    expect(withTypos(text, 0)).toBe(text);
  });
});

describe('cross-source scoring', () => {
  const labels = ['math', 'law', 'off_topic'];
  const decide = decisionFor('domain', labels, 0.3);

  it('reads a domain model as the router does: off_topic or a weak top label gives no domain', () => {
    expect(decide([0.7, 0.2, 0.1])).toBe(0);
    expect(decide([0.2, 0.1, 0.7])).toBeNull();
    expect(decide([0.29, 0.28, 0.27])).toBeNull();
  });

  it('scores accuracy, abstention and flags against the set target', () => {
    const rows = [row('a', 0), row('b', 1), row('c', 0), row('d', 1)];
    const set = (metric: CrossSourceSet['metric'], target: number): CrossSourceSet => ({
      name: metric,
      files: [],
      metric,
      rows,
      target,
    });
    const decisions = [0, 0, null, 1];
    expect(crossSourceFigure(set('accuracy', 0.5), decisions)).toMatchObject({ value: 0.5, meets: true });
    expect(crossSourceFigure(set('abstain', 0.5), decisions)).toMatchObject({ value: 0.25, meets: false });
    expect(crossSourceFigure(set('unlabelled', 0.2), decisions)).toMatchObject({ value: 0.25, meets: false });
    expect(crossSourceFigure(set('fire_rate', 0.3), [0, 1, 0, 0])).toMatchObject({
      value: 0.25,
      meets: true,
    });
    const table = crossSourceTable([crossSourceFigure(set('fire_rate', 0.1), [0, 1, 0, 0])]).join('\n');
    expect(table).toContain('25.0 %');
    expect(table).toContain('≤ 10 % (**missed**)');
  });
});

describe('domain cross-source sets (../shared/data)', () => {
  const sets = domainCrossSourceSets(DATA);
  const dataset = loadDomainDataset(DATA);
  const trained = new Set(
    [...dataset.train, ...dataset.validation, ...dataset.test].map((r) => normalizeForDedupe(r.text)),
  );

  it('takes everyday prompts from sources never trained on, and exam rows only from the held-out test split', () => {
    const test = new Set(dataset.test.map((r) => normalizeForDedupe(r.text)));
    for (const set of sets) {
      expect(set.rows.length, set.name).toBeGreaterThan(500);
      if (set.name.startsWith('held-out')) {
        if (!set.name.includes('typos'))
          expect(set.rows.every((r) => test.has(normalizeForDedupe(r.text)))).toBe(true);
        continue;
      }
      expect(set.rows.filter((r) => trained.has(normalizeForDedupe(r.text))).length, set.name).toBe(0);
    }
  });

  describe('the committed models/domain, on fixed samples', () => {
    let pool: OnnxSessionPool;
    let classifier: WideMlpClassifier;
    beforeAll(async () => {
      pool = new OnnxSessionPool();
      classifier = await WideMlpClassifier.load(pool, MODEL);
    });
    afterAll(async () => {
      await classifier.release();
      await pool.close();
    });

    async function figure(name: string, n: number): Promise<number> {
      const set = sets.find((s) => s.name.startsWith(name));
      if (set === undefined) throw new Error(`no set ${name}`);
      const stride = set.rows.length / n;
      const rows = Array.from({ length: n }, (_, i) => set.rows[Math.floor(i * stride)] as LabelledText);
      const decide = decisionFor('domain', classifier.metadata.labels, null);
      const results = await classifier.classify(rows.map((r) => r.text));
      return crossSourceFigure(
        { ...set, rows },
        results.map((r) => decide(r.probabilities)),
      ).value;
    }

    it('keeps its figures on held-out exam questions and on everyday chat it never saw', async () => {
      expect(await figure('held-out exam questions (', 300)).toBeGreaterThanOrEqual(FLOORS.typos);
      expect(await figure('held-out exam questions left', 300)).toBeLessThanOrEqual(FLOORS.unlabelled);
      expect(await figure('clinc150', 300)).toBeGreaterThanOrEqual(FLOORS.clinc);
      expect(await figure('alpacaeval', 300)).toBeGreaterThanOrEqual(FLOORS.alpaca);
    });
  });
});
