// The committed PERSON / STREET_ADDRESS tagger (models/pii): realistic sentences, neutral ones, bounded cost.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSessionPool } from '../../../src/ml/onnx-session-pool.ts';
import type { EntitySpan } from '../../../src/ml/span-model.ts';
import { TokenTagger } from '../../../src/ml/tagger/token-tagger.ts';
import type { TaggerCard } from '../../../src/training/tagger/write-tagger.ts';

const MODEL = path.resolve('models/pii/model.onnx');
let pool: OnnxSessionPool;
let tagger: TokenTagger;

beforeAll(async () => {
  pool = new OnnxSessionPool();
  tagger = await TokenTagger.load(pool, MODEL);
});
afterAll(async () => {
  tagger.close();
  await pool.close();
});

async function spansOf(text: string): Promise<EntitySpan[]> {
  const [spans = []] = await tagger.spans([text]);
  return spans;
}

const spanValue = (text: string, s: EntitySpan) => text.slice(s.start, s.end);

describe('built-in pii tagger', () => {
  it('reports its entity labels', () => {
    expect(tagger.labels).toEqual(['PERSON', 'STREET_ADDRESS']);
  });

  it.each([
    ['My name is Maria Gonzalez', 'Maria Gonzalez', 11],
    ['Contact Dr. Emily Carter about the results.', 'Emily Carter', 12],
  ])('finds the person in %j', async (text, name, start) => {
    const spans = await spansOf(text);
    expect(spans).toEqual([{ label: 'PERSON', start, end: start + name.length, score: expect.any(Number) }]);
    expect(spans[0]?.score).toBeGreaterThanOrEqual(0.5);
  });

  it.each([
    ['My address is 1600 Pennsylvania Avenue NW, Washington.', '1600 Pennsylvania Avenue NW'],
    ['Please send the parcel to John at 742 Evergreen Terrace, Springfield.', '742 Evergreen Terrace'],
    ['I live at 15 Baker Street, London.', '15 Baker Street'],
  ])('finds the street address in %j', async (text, street) => {
    const address = (await spansOf(text)).filter((s) => s.label === 'STREET_ADDRESS');
    expect(address).toHaveLength(1);
    const [span] = address as [EntitySpan];
    // The address starts at the house number and covers the street (the tagger may add the city).
    expect(span.start).toBe(text.indexOf(street));
    expect(spanValue(text, span).startsWith(street)).toBe(true);
    expect(span.score).toBeGreaterThanOrEqual(0.5);
  });

  it('finds a person and an address in one sentence, sorted and non-overlapping', async () => {
    const text = 'Please send the parcel to Sarah Johnson at 742 Evergreen Terrace, Springfield.';
    const spans = await spansOf(text);
    expect(spans.map((s) => s.label)).toEqual(['PERSON', 'STREET_ADDRESS']);
    expect(spanValue(text, spans[0] as EntitySpan)).toBe('Sarah Johnson');
    expect(spans[1]?.start).toBe(text.indexOf('742'));
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]?.start).toBeGreaterThanOrEqual(spans[i - 1]?.end ?? 0);
    }
  });

  it.each([
    'Explain how photosynthesis works in plants.',
    'Write a Python function that sorts a list.',
    'How do I compute the derivative of x squared?',
    'Summarize the plot of the novel in three paragraphs.',
    'The meeting is on Monday at 10 am in the main office.',
    'Translate "good morning" into Spanish.',
    '',
  ])('finds nothing in %j', async (text) => {
    expect(await spansOf(text)).toEqual([]);
  });

  it('tags a 1 MB prompt in bounded time, reading only its head', async () => {
    const head = 'My name is Maria Gonzalez. ';
    const text = head + 'the quick brown fox jumps over the lazy dog '.repeat(24_000);
    expect(text.length).toBeGreaterThan(1_000_000);
    const started = performance.now();
    const spans = await spansOf(text);
    const elapsed = performance.now() - started;
    expect(spans.map((s) => spanValue(text, s))).toEqual(['Maria Gonzalez']);
    const { maxChars } = tagger.metadata.featurizer;
    for (const s of spans) expect(s.end).toBeLessThanOrEqual(maxChars);
    // Generous bound for slow CI machines; typical is a few milliseconds.
    expect(elapsed).toBeLessThan(2000);
  });

  it.each([
    ['lone surrogates', 'Name: \uD800 Ma\uDC00ria \uDBFF'],
    ['binary garbage', String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37) % 65536))],
    ['non-Latin scripts', '我的名字是王伟，住在北京市朝阳区。 Меня зовут Иван Петров. اسمي أحمد'],
    ['emoji', '👋 I am 🧑‍💻 at 🏠 42 🌳 Street'],
  ])('returns well-formed spans for %s', async (_label, text) => {
    for (const s of await spansOf(text)) {
      expect(s.start).toBeGreaterThanOrEqual(0);
      expect(s.end).toBeGreaterThan(s.start);
      expect(s.end).toBeLessThanOrEqual(text.length);
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(1);
    }
  });

  it('tags several texts in one call, one result per text', async () => {
    const results = await tagger.spans(['My name is Maria Gonzalez', 'What are my options?', '']);
    expect(results.map((r) => r.length)).toEqual([1, 0, 0]);
  });
});

describe('models/pii/card.json', () => {
  const card = JSON.parse(readFileSync(path.resolve('models/pii/card.json'), 'utf8')) as TaggerCard;
  const bytes = readFileSync(MODEL);

  it('describes the committed model file', () => {
    expect(card.task).toBe('pii');
    expect(card.labels).toEqual(['O', 'PERSON', 'STREET_ADDRESS']);
    expect(card.sizeBytes).toBe(bytes.byteLength);
    expect(card.modelSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(card.sizeBytes).toBeLessThan(5 * 1024 * 1024);
    expect(card.splitMethod).toContain('template');
    expect(card.rows.test).toBeGreaterThan(0);
    expect(card.latency.p50Ms).toBeGreaterThan(0);
  });

  it.each(['PERSON', 'STREET_ADDRESS'])('records held-out span metrics for %s', (type) => {
    for (const kind of ['exact', 'overlap'] as const) {
      const scores = card.metrics.test[type]?.[kind];
      expect(scores?.gold).toBeGreaterThan(0);
      for (const key of ['precision', 'recall', 'f1'] as const) {
        expect(scores?.[key]).toBeGreaterThanOrEqual(0);
        expect(scores?.[key]).toBeLessThanOrEqual(1);
      }
    }
  });
});
