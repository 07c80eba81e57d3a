// The re-ask similarity: wording-insensitive to case and punctuation, and calibrated on the shared data so that the
// peer's threshold 0.8 separates paraphrases from different requests (figures in docs/signals-conversation.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { turnSimilarity } from '../../../src/signals/turn-similarity.ts';
import { parseCsvRecords } from '../../../src/training/datasets/csv.ts';

const DATA = path.resolve('../shared/data');

const shareAtLeast = (pairs: readonly (readonly [string, string])[], threshold: number) =>
  pairs.filter(([a, b]) => turnSimilarity(a, b) >= threshold).length / pairs.length;

describe('turnSimilarity', () => {
  it('reads a repeat with other case, spacing and punctuation as identical', () => {
    expect(turnSimilarity('How do I undo a commit?', '  how do i UNDO a commit ')).toBeCloseTo(1, 6);
  });

  it('reads turns without a shared word as unrelated', () => {
    expect(turnSimilarity('Book a table for two', 'Quantum chromodynamics')).toBeLessThan(0.3);
  });

  it('is 0 for a turn without letters or digits', () => {
    expect(turnSimilarity('???', 'What time is it?')).toBe(0);
  });

  it('compares non-Latin scripts by their characters', () => {
    expect(turnSimilarity('如何撤销上一次提交？', '如何撤销上一次提交')).toBeCloseTo(1, 6);
    expect(turnSimilarity('如何撤销上一次提交？', '今天天气怎么样')).toBeLessThan(0.5);
  });
});

describe('calibration on the shared data at the peer’s threshold 0.8', () => {
  const sick = parseCsvRecords(readFileSync(path.join(DATA, 'sick-pairs/sick_pairs.csv'), 'utf8')).filter(
    (r) => r.split === 'test',
  );
  const pair = (r: Record<string, string>) => [r.sentence_a ?? '', r.sentence_b ?? ''] as const;

  it('most SICK paraphrases (relatedness ≥ 4.5) count as a re-ask, few unrelated pairs (≤ 3) do', () => {
    expect(shareAtLeast(sick.filter((r) => Number(r.relatedness) >= 4.5).map(pair), 0.8)).toBeGreaterThan(
      0.8,
    );
    expect(shareAtLeast(sick.filter((r) => Number(r.relatedness) <= 3).map(pair), 0.8)).toBeLessThan(0.15);
  });

  it('a different request of the same CLINC150 domain is almost never a re-ask', () => {
    const rows = parseCsvRecords(readFileSync(path.join(DATA, 'clinc150/clinc150_full.csv'), 'utf8')).filter(
      (r) => r.split === 'test' && r.domain === 'banking',
    );
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < rows.length; i += 2) {
      const a = rows[i];
      const b = rows[rows.length - 1 - i];
      if (a && b && a.intent !== b.intent) pairs.push([a.text ?? '', b.text ?? '']);
    }
    expect(pairs.length).toBeGreaterThan(100);
    expect(shareAtLeast(pairs, 0.8)).toBeLessThan(0.01);
  });
});
