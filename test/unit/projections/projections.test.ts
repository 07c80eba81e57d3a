// What projections do to one request's matches: partitions keep one winner, scores sum weighted signal values and
// mappings emit named `projection` matches with a confidence that grows with the distance from the band's edges.
import { describe, expect, it } from 'vitest';
import {
  applyProjections,
  type CompiledMapping,
  type CompiledProjections,
  type CompiledScore,
} from '../../../src/decisions/projections.ts';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';

function matches(entries: Record<string, number | Partial<SignalMatch>>): Map<string, SignalMatch> {
  return new Map(
    Object.entries(entries).map(([key, v]) => {
      const name = key.slice(key.indexOf(':') + 1);
      return [key, typeof v === 'number' ? { name, confidence: v } : { name, confidence: 1, ...v }];
    }),
  );
}

const difficulty: CompiledScore = {
  name: 'difficulty',
  inputs: [
    { kind: 'signal', key: 'keyword:simple', weight: -0.3, valueSource: 'binary', match: 1, miss: 0 },
    { kind: 'signal', key: 'keyword:reasoning', weight: 0.4, valueSource: 'confidence', match: 1, miss: 0 },
    { kind: 'signal', key: 'complexity:math:hard', weight: 0.4, valueSource: 'binary', match: 1, miss: 0 },
  ],
};

const bands: CompiledMapping = {
  name: 'difficulty_band',
  source: 'difficulty',
  method: 'threshold_bands',
  slope: 10,
  outputs: [
    { name: 'simple', lt: 0.2 },
    { name: 'medium', gte: 0.2, lt: 0.6 },
    { name: 'hard', gte: 0.6 },
    { name: 'nonzero', gt: 0 },
  ],
};

function only(scores: CompiledScore[], mappings: CompiledMapping[]): CompiledProjections {
  return { partitions: [], scores, mappings };
}

function projectionNames(result: ReturnType<typeof applyProjections>): string[] {
  return [...result.matches.keys()].filter((k) => k.startsWith('projection:')).map((k) => k.slice(11));
}

describe('scores and mappings', () => {
  it('emits the first band that holds the score, with the sigmoid of its distance to the nearest edge', () => {
    const result = applyProjections(
      only([difficulty], [bands]),
      matches({ 'keyword:reasoning': 0.75, 'complexity:math:hard': 1 }),
    );
    expect(result.scores.get('difficulty')).toBeCloseTo(0.7);
    expect(projectionNames(result)).toEqual(['hard']);
    const hard = result.matches.get('projection:hard');
    expect(hard?.confidence).toBeCloseTo(1 / (1 + Math.exp(-10 * 0.1)));
    expect(hard?.detail).toBe('difficulty=0.700');
  });

  it('reads binary inputs as match/miss, confidence inputs as the confidence, and a miss as 0', () => {
    const simple = applyProjections(only([difficulty], [bands]), matches({ 'keyword:simple': 1 }));
    expect(simple.scores.get('difficulty')).toBeCloseTo(-0.3);
    expect(projectionNames(simple)).toEqual(['simple']);
    const custom = applyProjections(
      only(
        [
          {
            name: 's',
            inputs: [
              { kind: 'signal', key: 'keyword:x', weight: 2, valueSource: 'binary', match: 0.25, miss: -1 },
            ],
          },
        ],
        [{ ...bands, source: 's' }],
      ),
      matches({}),
    );
    expect(custom.scores.get('s')).toBe(-2);
  });

  it('reads raw inputs from the value a family reports (context tokens)', () => {
    const raw: CompiledScore = {
      name: 'length',
      inputs: [
        { kind: 'signal', key: 'context:long', weight: 0.0001, valueSource: 'raw', match: 1, miss: 0 },
      ],
    };
    const result = applyProjections(
      only([raw], [{ ...bands, source: 'length' }]),
      matches({ 'context:long': { value: 5000 } }),
    );
    expect(result.scores.get('length')).toBeCloseTo(0.5);
    expect(projectionNames(result)).toEqual(['medium']);
  });

  it('multi_emit emits every band that holds the score; top_k the k nearest band centres', () => {
    const m = matches({ 'keyword:reasoning': 1 });
    const multi = applyProjections(only([difficulty], [{ ...bands, method: 'multi_emit' }]), m);
    expect(projectionNames(multi)).toEqual(['medium', 'nonzero']);
    const top = applyProjections(only([difficulty], [{ ...bands, method: 'top_k', topK: 1 }]), m);
    // centre of medium is 0.4 (distance 0), of nonzero its only edge 0 (distance 0.4).
    expect(projectionNames(top)).toEqual(['medium']);
  });

  it('lets a score read another score, and reads kb metrics as 0 when no family reports them', () => {
    const total: CompiledScore = {
      name: 'total',
      inputs: [
        { kind: 'score', name: 'difficulty', weight: 0.5 },
        { kind: 'kb_metric', key: 'kb_metric:privacy_kb:private_vs_public', weight: 1 },
      ],
    };
    const result = applyProjections(
      only([difficulty, total], [{ ...bands, source: 'total' }]),
      matches({ 'complexity:math:hard': 1 }),
    );
    expect(result.scores.get('total')).toBeCloseTo(0.2);
  });

  it('computes nothing without a mapping, as the peer does', () => {
    const result = applyProjections(only([difficulty], []), matches({ 'keyword:simple': 1 }));
    expect(result.scores.size).toBe(0);
    expect(projectionNames(result)).toEqual([]);
  });

  it('emits nothing when no band holds the score', () => {
    const gap: CompiledMapping = { ...bands, outputs: [{ name: 'high', gte: 0.9 }] };
    expect(projectionNames(applyProjections(only([difficulty], [gap]), matches({})))).toEqual([]);
  });
});

describe('partitions', () => {
  const exclusive: CompiledProjections = {
    partitions: [
      {
        partition: 'domains',
        conditionType: 'domain',
        softmax: false,
        temperature: 1,
        members: ['law', 'business', 'other'],
        memberKeys: ['domain:law', 'domain:business', 'domain:other'],
        default: 'other',
      },
    ],
    scores: [],
    mappings: [],
  };

  it('keeps only the most confident member, with its own confidence', () => {
    const result = applyProjections(
      exclusive,
      matches({ 'domain:law': 0.6, 'domain:business': 0.8, 'keyword:x': 1 }),
    );
    expect([...result.matches.keys()]).toEqual(['keyword:x', 'domain:business']);
    expect(result.matches.get('domain:business')?.confidence).toBe(0.8);
  });

  it('breaks ties by the order of members', () => {
    const result = applyProjections(exclusive, matches({ 'domain:business': 0.7, 'domain:law': 0.7 }));
    expect([...result.matches.keys()]).toEqual(['domain:law']);
  });

  it('adds the default member when no member matched, and leaves a single match alone', () => {
    const none = applyProjections(exclusive, matches({ 'keyword:x': 1 }));
    expect(none.matches.get('domain:other')?.confidence).toBe(1);
    const one = applyProjections(exclusive, matches({ 'domain:law': 0.4 }));
    expect([...one.matches.keys()]).toEqual(['domain:law']);
    expect(one.matches.get('domain:law')?.confidence).toBe(0.4);
  });

  it('softmax_exclusive gives the winner its softmax share at the partition temperature', () => {
    const softmax: CompiledProjections = {
      ...exclusive,
      partitions: [
        {
          ...(exclusive.partitions[0] as CompiledProjections['partitions'][0]),
          softmax: true,
          temperature: 0.1,
        },
      ],
    };
    const result = applyProjections(softmax, matches({ 'domain:law': 0.7, 'domain:business': 0.6 }));
    expect([...result.matches.keys()]).toEqual(['domain:law']);
    expect(result.matches.get('domain:law')?.confidence).toBeCloseTo(1 / (1 + Math.exp(-1)));
  });

  it('runs before scores, so a score reads the winner only', () => {
    const projections: CompiledProjections = {
      ...exclusive,
      scores: [
        {
          name: 's',
          inputs: [
            { kind: 'signal', key: 'domain:law', weight: 1, valueSource: 'binary', match: 1, miss: 0 },
            { kind: 'signal', key: 'domain:business', weight: 10, valueSource: 'binary', match: 1, miss: 0 },
          ],
        },
      ],
      mappings: [{ ...bands, source: 's' }],
    };
    const result = applyProjections(projections, matches({ 'domain:law': 0.9, 'domain:business': 0.5 }));
    expect(result.scores.get('s')).toBe(1);
  });
});
