// `semantic-router eval` on the built-in models: JSON metrics in range, test split sizes, load errors.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/eval.ts';
import type { ModelCard } from '../../src/training/classifier/model-card.ts';
import type { EvalReport } from '../../src/training/eval/evaluate.ts';

const DATA = path.resolve('../shared/data');
const haveData = existsSync(path.join(DATA, 'jbb-artifacts'));
const workDir = mkdtempSync(path.join(tmpdir(), 'router-eval-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await evalCommand(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

const inUnit = (x: number): void => {
  expect(x).toBeGreaterThanOrEqual(0);
  expect(x).toBeLessThanOrEqual(1);
};

describe('semantic-router eval', () => {
  it.runIf(haveData)(
    'evaluates every built-in model on (a subset of) its held-out test split as JSON',
    async () => {
      const result = await run(['--data', DATA, '--json', '--max-rows', '300']);
      expect(result.code, result.err).toBe(0);
      const report = JSON.parse(result.out) as EvalReport;
      expect(report.maxRows).toBe(300);
      // Other model folders (e.g. a text-embedding model) are skipped; the three classifiers are evaluated.
      expect(report.models.map((m) => m.name)).toEqual(
        expect.arrayContaining(['domain', 'guard', 'jailbreak']),
      );
      for (const m of report.models) {
        const card = JSON.parse(
          readFileSync(path.resolve('models', m.name, 'card.json'), 'utf8'),
        ) as ModelCard;
        expect(m.task).toBe(card.task);
        expect(m.labels).toEqual(card.labels);
        // Same deterministic split as training: the full test split has the card's row count.
        expect(m.testRows).toBe(card.rows.test);
        expect(m.evaluated).toBe(Math.min(300, card.rows.test));
        expect(m.metrics.examples).toBe(m.evaluated);
        expect(m.metrics.perClass).toHaveLength(card.labels.length);
        inUnit(m.metrics.accuracy);
        inUnit(m.metrics.macroF1);
        for (const c of m.metrics.perClass) {
          inUnit(c.precision);
          inUnit(c.recall);
          inUnit(c.f1);
        }
        // A subset of the held-out split: near the card's full-split accuracy, well above chance.
        expect(Math.abs(m.metrics.accuracy - card.metrics.test.accuracy)).toBeLessThan(0.08);
        expect(m.latency.samples).toBe(m.evaluated);
        expect(m.latency.p50Ms).toBeGreaterThan(0);
        expect(m.latency.p99Ms).toBeGreaterThanOrEqual(m.latency.p50Ms);
        expect(m.throughput.batchSize).toBe(32);
        expect(m.throughput.textsPerSecond).toBeGreaterThan(0);
        expect(m.batchParityMaxDiff).toBeLessThan(1e-4);
        if (card.task === 'jailbreak') {
          expect(m.detection?.threshold).toBe(card.threshold);
          inUnit(m.detection?.recall ?? -1);
          inUnit(m.detection?.falsePositiveRate ?? -1);
          // The threshold is capped at 1 % everyday false positives on validation, whatever recall that leaves.
          expect(m.detection?.recall).toBeGreaterThan(0.5);
          expect(m.detection?.falsePositiveRate).toBeLessThan(0.03);
        } else {
          expect(m.detection).toBeNull();
        }
      }
    },
    60_000,
  );

  it.runIf(haveData)(
    'prints per-model tables and a summary without prompt text',
    async () => {
      const result = await run(['--data', DATA, '--model', 'models/guard', '--max-rows', '50']);
      expect(result.code, result.err).toBe(0);
      expect(result.out).toContain('### guard');
      expect(result.out).toContain('### Summary');
      expect(result.out).toContain('| out_of_domain |');
      expect(result.out).toContain('50 of 1,378');
      expect(result.out.split('\n').every((line) => line === '' || line.length < 400)).toBe(true);
    },
    60_000,
  );

  it('names a missing model folder and exits 1', async () => {
    const missing = path.join(workDir, 'no-such-model');
    const result = await run(['--model', missing, '--data', DATA]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(missing);
  });

  it('names a missing data directory and exits 1', async () => {
    const none = path.join(workDir, 'no-data');
    const result = await run(['--model', 'models/guard', '--data', none]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('no-data');
  });

  it('rejects a bad --max-rows with usage', async () => {
    const result = await run(['--max-rows', '0']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('usage:');
  });
});
