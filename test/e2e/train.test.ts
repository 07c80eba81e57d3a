// `semantic-router train` end to end on a tiny subset: files and card written, metrics present, same bytes twice.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../src/cli/train.ts';
import { loadWideMlpMetadata } from '../../src/ml/wide-mlp/metadata.ts';
import type { ModelCard } from '../../src/training/classifier/model-card.ts';
import { JAILBREAK_LABELS } from '../../src/training/datasets/jailbreak.ts';

const DATA = path.resolve('../shared/data');
const haveData = existsSync(path.join(DATA, 'jbb-artifacts'));
const workDir = mkdtempSync(path.join(tmpdir(), 'router-train-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const TINY = ['--max-rows', '300', '--epochs', '2', '--buckets', '4096', '--dim', '8', '--hidden', '16'];

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await trainCommand(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('semantic-router train', () => {
  it('rejects a missing --out or an unknown task with usage', async () => {
    expect((await run(['--task', 'domain'])).code).toBe(2);
    const bad = await run(['--task', 'nope', '--out', path.join(workDir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--task must be one of');
  });

  it('trains the embedding model with --task embedding, reproducibly', async () => {
    const out = (name: string) => path.join(workDir, name);
    const first = await run([
      '--task',
      'embedding',
      '--out',
      out('emb-a'),
      '--data',
      DATA,
      '--max-rows',
      '200',
    ]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('embedding model');
    const second = await run([
      '--task',
      'embedding',
      '--out',
      out('emb-b'),
      '--data',
      DATA,
      '--max-rows',
      '200',
    ]);
    expect(second.code).toBe(0);
    expect(sha256(path.join(out('emb-a'), 'model.onnx'))).toBe(sha256(path.join(out('emb-b'), 'model.onnx')));
    expect(JSON.parse(readFileSync(path.join(out('emb-a'), 'card.json'), 'utf8'))).toHaveProperty(
      'retrieval',
    );
    expect((await run(['--task', 'embedding'])).code).toBe(2);
  });

  it('reports a missing data directory as exit 1', async () => {
    const result = await run(['--task', 'guard', '--data', path.join(workDir, 'none'), '--out', workDir]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('cannot read');
  });

  it.runIf(haveData)(
    'trains a tiny jailbreak model twice with identical model bytes and a complete card',
    async () => {
      const a = path.join(workDir, 'a');
      const b = path.join(workDir, 'b');
      const common = [
        '--task',
        'jailbreak',
        '--data',
        DATA,
        '--seed',
        '7',
        '--latency-samples',
        '30',
        ...TINY,
      ];
      const first = await run([...common, '--out', a]);
      expect(first.code, first.err).toBe(0);
      expect(first.out).toContain('jailbreak model');
      const second = await run([...common, '--out', b]);
      expect(second.code, second.err).toBe(0);
      expect(sha256(path.join(a, 'model.onnx'))).toBe(sha256(path.join(b, 'model.onnx')));

      const card = JSON.parse(readFileSync(path.join(a, 'card.json'), 'utf8')) as ModelCard;
      expect(card.task).toBe('jailbreak');
      expect(card.labels).toEqual(JAILBREAK_LABELS);
      expect(card.seed).toBe(7);
      expect(card.rows.train).toBe(300);
      expect(card.maxRows).toBe(300);
      expect(card.sizeBytes).toBe(readFileSync(path.join(a, 'model.onnx')).byteLength);
      expect(card.modelSha256).toBe(sha256(path.join(a, 'model.onnx')));
      expect(card.dataSources.length).toBeGreaterThan(3);
      expect(card.metrics.test.accuracy).toBeGreaterThan(0);
      expect(card.metrics.test.perClass).toHaveLength(JAILBREAK_LABELS.length);
      expect(card.threshold).toBeGreaterThan(0);
      expect(card.detection?.threshold).toBe(card.threshold);
      expect(card.detection?.test.recall).toBeGreaterThanOrEqual(0);
      expect(card.detection?.test.falsePositiveRate).toBeGreaterThanOrEqual(0);
      expect(card.latency.samples).toBe(30);
      expect(card.latency.p99Ms).toBeGreaterThan(0);
      expect(card.latency.maxProbabilityDiff).toBeLessThan(1e-4);
      expect(card.hyperParameters.epochs).toBe(2);
      expect(card.nodeVersion).toBe(process.version);

      const metadata = loadWideMlpMetadata(readFileSync(path.join(a, 'model.onnx')));
      expect(metadata.labels).toEqual(JAILBREAK_LABELS);
      expect(metadata.seed).toBe(7);
      const readme = readFileSync(path.join(a, 'README.md'), 'utf8');
      expect(readme).toContain('Held-out test metrics');
      expect(readme).toContain('Detection threshold');
    },
    60_000,
  );

  it.runIf(haveData)(
    'trains a tiny domain model with 14-class metrics',
    async () => {
      const out = path.join(workDir, 'domain');
      const result = await run([
        '--task',
        'domain',
        '--data',
        DATA,
        '--out',
        out,
        '--latency-samples',
        '10',
        ...TINY,
      ]);
      expect(result.code, result.err).toBe(0);
      const card = JSON.parse(readFileSync(path.join(out, 'card.json'), 'utf8')) as ModelCard;
      expect(card.labels).toHaveLength(14);
      expect(card.metrics.test.perClass).toHaveLength(14);
      expect(card.threshold).toBeNull();
      expect(card.detection).toBeNull();
    },
    60_000,
  );
});

describe('built-in models in models/', () => {
  for (const task of ['domain', 'jailbreak', 'guard'] as const) {
    it(`models/${task}: card matches the ONNX file and its metadata`, () => {
      const dir = path.resolve('models', task);
      const bytes = readFileSync(path.join(dir, 'model.onnx'));
      const card = JSON.parse(readFileSync(path.join(dir, 'card.json'), 'utf8')) as ModelCard;
      expect(card.task).toBe(task);
      expect(card.sizeBytes).toBe(bytes.byteLength);
      expect(bytes.byteLength).toBeLessThan(4.5 * 1024 * 1024);
      expect(card.modelSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      const metadata = loadWideMlpMetadata(bytes);
      expect(metadata.labels).toEqual(card.labels);
      expect(metadata.featurizer).toEqual(card.featurizer);
      expect(metadata.temperature).toBeCloseTo(card.calibration.temperature, 6);
      expect(card.metrics.test.accuracy).toBeGreaterThan(0.7);
      if (task === 'jailbreak') expect(card.threshold).toBe(card.detection?.threshold);
      else expect(card.threshold).toBeNull();
      expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('Held-out test metrics');
    });
  }
});
