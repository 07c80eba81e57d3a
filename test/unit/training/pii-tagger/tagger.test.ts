// Token tagger pieces: tokens with offsets, span decoding, span metrics, data parsing, reproducible training.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../../../src/cli/train.ts';
import { OnnxSessionPool } from '../../../../src/ml/onnx-session-pool.ts';
import { decodeSpans, goldTokenLabels } from '../../../../src/ml/tagger/spans.ts';
import { loadTokenTaggerMetadata } from '../../../../src/ml/tagger/tagger-metadata.ts';
import { DEFAULT_TAGGER_FEATURIZER, tokenFeatures } from '../../../../src/ml/tagger/token-features.ts';
import { TokenTagger } from '../../../../src/ml/tagger/token-tagger.ts';
import { tokenizeWithOffsets } from '../../../../src/ml/tagger/tokens.ts';
import { DatasetError } from '../../../../src/training/datasets/build.ts';
import { parsePiiRows } from '../../../../src/training/datasets/pii.ts';
import { mergeAdjacent, spanScores } from '../../../../src/training/tagger/span-metrics.ts';
import { DEFAULT_TAGGER_HYPER, trainPiiTagger } from '../../../../src/training/tagger/train-tagger.ts';
import type { TaggerCard } from '../../../../src/training/tagger/write-tagger.ts';

const LABELS = ['O', 'PERSON', 'STREET_ADDRESS'];
const dir = mkdtempSync(path.join(tmpdir(), 'pii-tagger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Probabilities that give each token the label named by `tags` (O, P or S) at probability `p`. */
function probsFor(tags: string, p = 0.9): Float32Array {
  const out = new Float32Array(tags.length * 3);
  [...tags].forEach((tag, row) => {
    const k = tag === 'P' ? 1 : tag === 'S' ? 2 : 0;
    for (let j = 0; j < 3; j++) out[row * 3 + j] = j === k ? p : (1 - p) / 2;
  });
  return out;
}

describe('tokenizeWithOffsets', () => {
  it('keeps offsets, inner apostrophes and hyphens, and splits punctuation', () => {
    const text = "Jean-Luc O'Brien, 12 Main St.";
    const tokens = tokenizeWithOffsets(text, 1000, 1000);
    expect(tokens.map((t) => t.text)).toEqual(['Jean-Luc', "O'Brien", ',', '12', 'Main', 'St', '.']);
    for (const t of tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
  });

  it('reads at most maxChars and maxTokens', () => {
    expect(tokenizeWithOffsets('a b c d e', 3, 100).map((t) => t.text)).toEqual(['a', 'b']);
    expect(tokenizeWithOffsets('a b c d e', 100, 3)).toHaveLength(3);
  });
});

describe('tokenFeatures', () => {
  it('gives every token a bounded, non-empty set of bucket ids, the same on every call', () => {
    const text = 'My name is Maria Gonzalez, I live at 12 Main Street.';
    const tokens = tokenizeWithOffsets(text, 1000, 1000);
    const config = { ...DEFAULT_TAGGER_FEATURIZER, maxFeatures: 16, buckets: 1000 };
    const a = tokenFeatures(text, tokens, config);
    expect(a).toHaveLength(tokens.length);
    for (const f of a) {
      expect(f.length).toBeGreaterThan(0);
      expect(f.length).toBeLessThanOrEqual(16);
      for (const id of f) expect(id >= 0 && id < 1000).toBe(true);
    }
    expect(tokenFeatures(text, tokens, config)).toEqual(a);
  });
});

describe('decodeSpans', () => {
  it('merges tokens of one label and trims punctuation', () => {
    const text = 'Hi Maria Gonzalez, at 12 Main St., Leeds.';
    const tokens = tokenizeWithOffsets(text, 1000, 1000);
    // Hi Maria Gonzalez , at 12 Main St . , Leeds .
    const spans = decodeSpans(text, tokens, LABELS, probsFor('OPPOOSSSSSSO'));
    expect(spans.map((s) => [s.label, text.slice(s.start, s.end)])).toEqual([
      ['PERSON', 'Maria Gonzalez'],
      ['STREET_ADDRESS', '12 Main St., Leeds'],
    ]);
    expect(spans[0]?.score).toBeCloseTo(0.9, 5);
  });

  it('joins a word next to an entity at a lower probability, and a lone comma inside an address', () => {
    const text = 'ask Sarah Johnson about 5 Elm Road, York';
    const tokens = tokenizeWithOffsets(text, 1000, 1000);
    const probs = probsFor('OPOOSSSOS');
    // Johnson: P(PERSON) = 0.3 joins Sarah; the comma predicted O between two address tokens joins them.
    probs.set([0.6, 0.3, 0.1], 2 * 3);
    const spans = decodeSpans(text, tokens, LABELS, probs);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['Sarah Johnson', '5 Elm Road, York']);
  });

  it('does not continue a name on the next line, but continues an address', () => {
    const text = 'Anna\nSmith\n12 Main St\nLeeds';
    const tokens = tokenizeWithOffsets(text, 1000, 1000);
    const spans = decodeSpans(text, tokens, LABELS, probsFor('PPSSSS'));
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['Anna', 'Smith', '12 Main St\nLeeds']);
  });

  it('returns nothing for all-outside tokens and for no tokens', () => {
    const text = 'nothing here';
    expect(decodeSpans(text, tokenizeWithOffsets(text, 100, 100), LABELS, probsFor('OO'))).toEqual([]);
    expect(decodeSpans('', [], LABELS, new Float32Array(0))).toEqual([]);
  });

  it('labels gold tokens by the range covering their midpoint', () => {
    const text = 'Maria lives at 12 Main St';
    const tokens = tokenizeWithOffsets(text, 100, 100);
    const ranges = [
      { label: 'PERSON', start: 0, end: 5 },
      { label: 'STREET_ADDRESS', start: 15, end: 25 },
      { label: 'GPE', start: 6, end: 11 },
    ];
    expect(goldTokenLabels(tokens, ranges, LABELS)).toEqual([1, 0, 0, 2, 2, 2]);
  });
});

describe('span metrics', () => {
  it('merges piecewise gold addresses and scores exact and overlapping matches', () => {
    const text = 'Sara Schwarz, 28245 Puruntie 82 Apt. 595, Lappee';
    const gold = mergeAdjacent(text, [
      { label: 'PERSON', start: 0, end: 12 },
      { label: 'STREET_ADDRESS', start: 14, end: 19 },
      { label: 'STREET_ADDRESS', start: 20, end: 31 },
      { label: 'STREET_ADDRESS', start: 32, end: 40 },
    ]);
    expect(gold.map((g) => text.slice(g.start, g.end))).toEqual([
      'Sara Schwarz',
      '28245 Puruntie 82 Apt. 595',
    ]);
    const predicted = [
      { label: 'PERSON', start: 5, end: 12 },
      { label: 'STREET_ADDRESS', start: 14, end: 41 },
    ];
    const scores = spanScores([{ text, gold, predicted }], ['PERSON', 'STREET_ADDRESS']);
    expect(scores.PERSON?.exact.truePositives).toBe(0);
    expect(scores.PERSON?.overlap.f1).toBe(1);
    // A trailing comma is trimmed before comparing boundaries.
    expect(scores.STREET_ADDRESS?.exact.f1).toBe(1);
  });
});

describe('parsePiiRows', () => {
  it('reads spans and groups rows by template', () => {
    const rows = parsePiiRows(
      [
        {
          full_text: 'I am Ann',
          template_id: 7,
          spans: [{ entity_type: 'PERSON', entity_value: 'Ann', start_position: 5, end_position: 8 }],
        },
      ],
      'data.json',
    );
    expect(rows).toEqual([
      { text: 'I am Ann', group: 'template:7', spans: [{ label: 'PERSON', start: 5, end: 8 }] },
    ]);
  });

  it('rejects offsets that do not select the value', () => {
    const bad = [
      {
        full_text: 'I am Ann',
        spans: [{ entity_type: 'PERSON', entity_value: 'Ann', start_position: 4, end_position: 7 }],
      },
    ];
    expect(() => parsePiiRows(bad, 'data.json')).toThrow(DatasetError);
  });
});

describe('trainPiiTagger', () => {
  const options = {
    dataDir: path.resolve('../shared/data'),
    seed: 7,
    delexicalize: false,
    maxRows: 120,
    hyper: { ...DEFAULT_TAGGER_HYPER, epochs: 2, embeddingDim: 8, hiddenDim: 8 },
    featurizer: { ...DEFAULT_TAGGER_FEATURIZER, buckets: 4096, maxFeatures: 32 },
  };

  it('is reproducible bit for bit, and the ONNX export finds what the trainer finds', async () => {
    const a = trainPiiTagger(options);
    const b = trainPiiTagger(options);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(Buffer.from(trainPiiTagger({ ...options, seed: 8 }).bytes).equals(Buffer.from(a.bytes))).toBe(
      false,
    );
    expect(loadTokenTaggerMetadata(a.bytes)).toMatchObject({ labels: LABELS, seed: 7 });
    expect(Object.keys(a.metrics.test)).toEqual(['PERSON', 'STREET_ADDRESS']);

    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, a.bytes);
    const pool = new OnnxSessionPool();
    try {
      const tagger = await TokenTagger.load(pool, file);
      const texts = a.dataset.test.map((x) => x.text);
      const spans = await tagger.spans(texts);
      expect(spans.map((s) => s.map(({ label, start, end }) => ({ label, start, end })))).toEqual(
        a.testPredictions,
      );
      tagger.close();
    } finally {
      await pool.close();
    }
  });
});

describe('semantic-router train --task pii', () => {
  it('writes model.onnx, card.json and README.md with held-out span metrics', async () => {
    const out = path.join(dir, 'cli-model');
    let stdout = '';
    let stderr = '';
    const code = await trainCommand(
      ['--task', 'pii', '--out', out, '--data', path.resolve('../shared/data'), '--max-rows', '80'].concat([
        '--epochs',
        '1',
        '--dim',
        '4',
        '--hidden',
        '4',
        '--buckets',
        '2048',
        '--max-features',
        '24',
      ]),
      { out: (t) => (stdout += t), err: (t) => (stderr += t) },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('pii tagger');
    const card = JSON.parse(readFileSync(path.join(out, 'card.json'), 'utf8')) as TaggerCard;
    expect(card).toMatchObject({ task: 'pii', maxRows: 80, seed: 42, featurizer: { buckets: 2048 } });
    expect(Object.keys(card.metrics.test)).toEqual(['PERSON', 'STREET_ADDRESS']);
    expect(card.latency.parityMismatches).toBe(0);
    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain('--task pii --out models/cli-model --seed 42 --buckets 2048');
  });

  it('rejects bad arguments with usage', async () => {
    let stderr = '';
    const code = await trainCommand(['--task', 'pii'], { out: () => undefined, err: (t) => (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toContain('--out');
  });
});
