// Routing-outcome loaders on a hand-written fixture: joins, missing cells, prompt literals, deterministic splits.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../../src/training/datasets/build.ts';
import { normalizeForDedupe, splitOf } from '../../../../src/training/datasets/split.ts';
import {
  loadMmluProOutcomes,
  loadRouterBenchOutcomes,
  routerBenchPrompt,
} from '../../../../src/training/selection/outcome-datasets.ts';

import { writeSelectionOutcomeFixture } from '../../../helpers/selection-outcome-fixture.ts';

const FIXTURE = writeSelectionOutcomeFixture();
afterAll(() => rmSync(FIXTURE, { recursive: true, force: true }));

describe('MMLU-Pro outcomes', () => {
  const data = loadMmluProOutcomes(FIXTURE);

  it('joins outcomes to question text by question_id and drops outcome rows without a question', () => {
    expect(data.profiles).toEqual(['big-model', 'small-model', 'partial-model']);
    expect(data.rows.map((r) => r.id)).toEqual(['1', '2', '3', '4']);
    expect(data.rows[2]?.text).toBe('A tenant signs a lease "as is"; who repairs the roof?');
    expect(data.rows[0]?.group).toBe('math');
    expect(data.costUnit).toBe('output_chars');
  });

  it('keeps outcomes and output lengths per model, NaN where a model has none', () => {
    const [q1, q2] = data.rows;
    expect(Array.from(q1?.correct ?? [])).toEqual([1, 0, 1]);
    expect(Array.from(q1?.cost ?? [])).toEqual([900, 300, 400]);
    expect(Number.isNaN(q2?.correct[2])).toBe(true);
    expect(Number.isNaN(q2?.cost[2])).toBe(true);
  });

  it('splits by the normalised question, the same way every time', () => {
    for (const row of data.rows) expect(row.split).toBe(splitOf(normalizeForDedupe(row.text)));
    expect(loadMmluProOutcomes(FIXTURE).rows.map((r) => r.split)).toEqual(data.rows.map((r) => r.split));
  });

  it('names the missing file', () => {
    expect(() => loadMmluProOutcomes(path.join(FIXTURE, 'nowhere'))).toThrow(DatasetError);
  });
});

describe('RouterBench outcomes', () => {
  const data = loadRouterBenchOutcomes(FIXTURE);

  it('reads models from the columns that have a total_cost twin, and all three files', () => {
    expect(data.profiles).toEqual(['big', 'small']);
    expect(data.rows.map((r) => r.group)).toEqual(['arc-challenge', 'arc-challenge', 'mbpp', 'winogrande']);
    expect(Array.from(data.rows[1]?.cost ?? []).map((c) => c.toFixed(4))).toEqual(['0.0030', '0.0002']);
    expect(data.costUnit).toBe('usd');
  });

  it("keeps RouterBench's test split as the held-out one", () => {
    expect(data.rows.filter((r) => r.split === 'test').map((r) => r.id)).toEqual(['arc.2', 'wino.1']);
    expect(data.rows.filter((r) => r.split !== 'test').every((r) => r.split !== undefined)).toBe(true);
  });

  it('turns the Python list literal of turns into text', () => {
    expect(data.rows[1]?.text).toBe("Why is the sky blue?\nExplain it's Rayleigh scattering");
    expect(routerBenchPrompt('plain prompt')).toBe('plain prompt');
    expect(routerBenchPrompt(`["He said \\"hi\\""]`)).toBe('He said "hi"');
  });
});
