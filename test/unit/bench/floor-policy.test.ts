// The bench's floor variant: the policy's models and pools without any signal or decision, judged against the
// no-op with the router's own budget, and how much of the router's excess the signals and decisions are.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFloorPolicy } from '../../../bench/floor-policy.ts';
import type { GeneratorResult } from '../../../bench/results.ts';
import { floorVerdicts, type Measured } from '../../../bench/variants.ts';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';

const measured = (cpuUsPerRequest: number): Measured => ({
  result: { cpuUsPerRequest } as GeneratorResult,
  readyMs: 300,
});

describe('bench floor variant', () => {
  it.each(['default.yaml', 'vsr-v03.yaml'])(
    'keeps the models and pools of %s and drops its routing',
    async (name) => {
      const original = await loadPolicyFile(path.resolve('policies', name));
      const floor = await loadPolicyFile(writeFloorPolicy(path.resolve('policies', name)));
      expect(original.decisions.length).toBeGreaterThan(0);
      expect(floor.decisions).toEqual([]);
      expect(floor.models.map((m) => m.name)).toEqual(original.models.map((m) => m.name));
      expect(floor.pools.map((p) => p.name)).toEqual(original.pools.map((p) => p.name));
      expect(floor.defaultModel.name).toBe(original.defaultModel.name);
    },
  );

  it('leaves the policy file itself unchanged', () => {
    const file = path.resolve('policies/default.yaml');
    const before = readFileSync(file, 'utf8');
    writeFloorPolicy(file);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('judges the floor against the no-op and says what the signals add', () => {
    const [verdict] = floorVerdicts(measured(100))(measured(250), measured(170));
    expect(verdict).toMatchObject({ met: false });
    expect(verdict?.detail).toBe(
      "170 µs vs 100 µs = 1.70×; the signals and decisions add 80 µs, 53 % of the router's 150 µs beyond the no-op",
    );
    expect(floorVerdicts(measured(100))(measured(250), measured(140))[0]?.met).toBe(true);
  });
});
