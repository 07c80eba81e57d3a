// `train --task selection` then `eval-routing` on a generated MMLU-Pro-shaped data directory.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  evalRoutingCommand,
  trainSelectionCommand,
} from '../../../../src/training/selection/selection-command.ts';
import { syntheticOutcomes } from './synthetic-outcomes.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'eval-routing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the synthetic data set in the layout of ../shared/data (MMLU-Pro outcomes + questions). */
function writeDataDir(): string {
  const data = path.join(dir, 'data');
  mkdirSync(path.join(data, 'mmlu-pro'), { recursive: true });
  mkdirSync(path.join(data, 'mmlu-pro-model-outcomes'), { recursive: true });
  const rows = syntheticOutcomes(800, 3).rows;
  writeFileSync(
    path.join(data, 'mmlu-pro/mmlu_pro_test_question_category.csv'),
    [
      'question_id,category,src,question',
      ...rows.map((r) => `${r.id},${r.group},synthetic,"${r.text}"`),
    ].join('\n'),
  );
  writeFileSync(
    path.join(data, 'mmlu-pro-model-outcomes/mmlu_pro_correct_by_model.csv'),
    [
      'question_id,category,src,strong,weak',
      ...rows.map((r) => `${r.id},${r.group},synthetic,${r.correct[0]},${r.correct[1]}`),
    ].join('\n'),
  );
  writeFileSync(
    path.join(data, 'mmlu-pro-model-outcomes/mmlu_pro_output_chars_by_model.csv'),
    ['question_id,strong,weak', ...rows.map((r) => `${r.id},100,10`)].join('\n'),
  );
  return data;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('eval-routing', () => {
  const data = writeDataDir();
  const models = path.join(dir, 'models');

  it('trains a knn selector and reports it against the baselines, with the curve as CSV and SVG', async () => {
    const train = capture();
    expect(
      await trainSelectionCommand(
        [
          '--task',
          'selection',
          '--data',
          'mmlu-pro',
          '--data-dir',
          data,
          '--algorithm',
          'knn',
          '--out',
          models,
        ],
        train.io,
      ),
    ).toBe(0);
    expect(JSON.parse(readFileSync(path.join(models, 'card.json'), 'utf8')).models[0].algorithm).toBe('knn');

    const run = capture();
    const args = [
      '--data',
      'mmlu-pro',
      '--data-dir',
      data,
      '--pair',
      'strong,weak',
      '--model',
      path.join(models, 'knn.json'),
      '--out',
      path.join(dir, 'report'),
    ];
    expect(await evalRoutingCommand(args, run.io)).toBe(0);
    const text = run.out.join('');
    expect(text).toMatch(/router\s+quality\s+cost\s+strong share\s+APGR\s+PGR@50%\s+AIQ/);
    for (const row of ['knn', 'random', 'always-weak', 'always-strong', 'oracle'])
      expect(text).toMatch(new RegExp(`^${row} `, 'm'));
    expect(text).toMatch(/^random\s+\S+\s+\d+ chars\s+50\.0 %\s+0\.500\s+0\.500/m);
    const apgr = Number(/^knn\s+\S+\s+\d+ chars\s+\S+ %\s+(\S+)/m.exec(text)?.[1]);
    expect(apgr).toBeGreaterThan(0.9);

    const csv = readFileSync(path.join(dir, 'report/curve.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('strong_share,quality,cost,pgr,threshold');
    expect(csv[1]?.startsWith('0.00000,')).toBe(true);
    expect(csv.at(-1)?.startsWith('1.00000,')).toBe(true);
    expect(readFileSync(path.join(dir, 'report/curve.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<path d="M/);
  });

  it('answers a model the data does not have, or a bad pair, with an error and no report', async () => {
    const unknown = capture();
    const args = [
      '--data',
      'mmlu-pro',
      '--data-dir',
      data,
      '--pair',
      'strong,nobody',
      '--model',
      path.join(models, 'knn.json'),
      '--out',
      path.join(dir, 'no-report'),
    ];
    expect(await evalRoutingCommand(args, unknown.io)).toBe(1);
    expect(unknown.err.join('')).toMatch(/nobody/);
    expect(existsSync(path.join(dir, 'no-report'))).toBe(false);

    const usage = capture();
    expect(await evalRoutingCommand(['--data', 'mmlu-pro', '--pair', 'only-one'], usage.io)).toBe(2);
    expect(usage.err.join('')).toMatch(/--pair needs STRONG,WEAK/);
  });

  it('--policy replays the held-out prompts through the policy and scores the models it picks', async () => {
    const policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      `version: v1
default_model: weak
pools:
  - name: gpu
    max_context_tokens: 32K
models:
  - name: weak
    pools: [gpu]
    pricing: { prompt_per_1m: 0.1, completion_per_1m: 0.1 }
  - name: strong
    pools: [gpu]
    pricing: { prompt_per_1m: 5, completion_per_1m: 5 }
routing:
  decisions:
    - name: all
      priority: 1
      modelRefs: [{ model: weak }, { model: strong }]
      algorithm: { type: knn, knn: { model: ${path.join(models, 'knn.json')} } }
`,
    );
    const run = capture();
    expect(
      await evalRoutingCommand(['--policy', policyFile, '--data', 'mmlu-pro', '--data-dir', data], run.io),
    ).toBe(0);
    const text = run.out.join('');
    expect(text).toMatch(/models scored as weak=weak, strong=strong/);
    for (const row of ['policy', 'random', 'always-cheapest', 'always-best', 'oracle']) {
      expect(text).toMatch(new RegExp(`^${row} `, 'm'));
    }
    // Math goes to the strong model, history to the weak one: both are used, and the policy beats the best single model.
    expect(text).toMatch(/^policy .*strong \d+\.\d %/m);
    expect(text).toMatch(/^policy .*weak \d+\.\d %/m);
    const pgr = Number(/policy PGR \(always-cheapest → always-best\): (\S+)/.exec(text)?.[1]);
    expect(pgr).toBeGreaterThan(1);
  });
});
