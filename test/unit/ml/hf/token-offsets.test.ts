// Token offsets for the tokenizer families real exports use: WordPiece, byte-level BPE and SentencePiece (Metaspace).
import { describe, expect, it } from 'vitest';
import { decodeEntitySpans, entityTypes, parseEntityLabel } from '../../../../src/ml/hf/bio-spans.ts';
import { alignTokens, type TokenSpelling } from '../../../../src/ml/hf/token-offsets.ts';

const plain: TokenSpelling = {
  normalize: (t) => t,
  byteLevel: false,
  continuingSubwordPrefix: undefined,
  endOfWordSuffix: undefined,
};

function align(text: string, tokens: string[], spelling: TokenSpelling, unknown: string[] = []) {
  const offsets = alignTokens(
    text,
    tokens,
    tokens.map((t) => t === '<s>' || t === '</s>'),
    tokens.map((t) => unknown.includes(t)),
    spelling,
  );
  return offsets.map((o) => (o === undefined ? undefined : text.slice(o[0], o[1])));
}

describe('alignTokens', () => {
  it('maps byte-level BPE tokens (including pieces of one UTF-8 character) to the original text', () => {
    const spelling = { ...plain, byteLevel: true };
    expect(align('héllo world', ['<s>', 'h', 'Ã©', 'llo', 'Ġworld', '</s>'], spelling)).toEqual([
      undefined,
      'h',
      'é',
      'llo',
      'world',
      undefined,
    ]);
    expect(align('é!', ['Ã', '©', '!'], spelling)).toEqual(['é', 'é', '!']);
  });

  it('maps SentencePiece (Metaspace) tokens, skipping the word marker', () => {
    expect(align('Hello  world', ['▁Hello', '▁wor', 'ld'], plain)).toEqual(['Hello', 'wor', 'ld']);
  });

  it('maps WordPiece pieces through a lower-casing, accent-stripping normaliser, and unknown words in order', () => {
    const spelling: TokenSpelling = {
      normalize: (t) =>
        t
          .normalize('NFD')
          .replace(/\p{Mn}/gu, '')
          .toLowerCase(),
      byteLevel: false,
      continuingSubwordPrefix: '##',
      endOfWordSuffix: undefined,
    };
    const text = 'Ünïcode 😀 ☕ Zoë!';
    expect(align(text, ['unic', '##ode', '[UNK]', '[UNK]', 'zoe', '!'], spelling, ['[UNK]'])).toEqual([
      'Ünïc',
      'ode',
      '😀',
      '☕',
      'Zoë',
      '!',
    ]);
  });
});

describe('BIO decoding', () => {
  const tok = (label: string, start: number, end: number, score = 0.9) => ({
    label,
    score,
    offset: [start, end] as const,
  });

  it('parses BIO, BIOES/BILOU and plain labels', () => {
    expect(parseEntityLabel('B-PER')).toEqual({ entity: 'PER', role: 'B' });
    expect(parseEntityLabel('L-LOC')).toEqual({ entity: 'LOC', role: 'E' });
    expect(parseEntityLabel('PERSON')).toEqual({ entity: 'PERSON', role: 'I' });
    expect(parseEntityLabel('O').entity).toBeUndefined();
    expect(entityTypes(['O', 'B-PER', 'I-PER', 'S-LOC'])).toEqual(['PER', 'LOC']);
  });

  it('merges I- continuations and same-word subword pieces, splits on B- and O, scores by the mean', () => {
    const spans = decodeEntitySpans([
      tok('B-PER', 0, 4, 0.8),
      tok('I-PER', 5, 10, 1),
      tok('B-PER', 11, 14),
      tok('B-PER', 14, 16),
      tok('O', 17, 20),
      tok('I-LOC', 21, 26),
      tok('S-LOC', 27, 30),
      tok('S-LOC', 31, 33),
    ]);
    expect(spans.map((s) => [s.label, s.start, s.end])).toEqual([
      ['PER', 0, 10],
      ['PER', 11, 16],
      ['LOC', 21, 26],
      ['LOC', 27, 30],
      ['LOC', 31, 33],
    ]);
    expect(spans[0]?.score).toBeCloseTo(0.9, 6);
  });

  it('returns non-overlapping spans, keeping the higher score', () => {
    const spans = decodeEntitySpans([tok('B-PER', 0, 5, 0.6), tok('B-LOC', 3, 8, 0.9)]);
    expect(spans.map((s) => [s.label, s.start, s.end])).toEqual([['LOC', 3, 8]]);
  });
});
