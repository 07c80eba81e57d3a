// SignalEngine: families run concurrently, each async one within a time budget; a failing family matches nothing.
import { describe, expect, it } from 'vitest';
import { type FamilyEvaluator, SignalEngine } from '../../../src/signals/signal-engine.ts';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';
import { contextFor } from '../../helpers/request-context.ts';

const match = (name: string, confidence = 1): SignalMatch => ({ name, confidence });

function family(
  conditionType: string,
  evaluate: () => readonly SignalMatch[] | Promise<readonly SignalMatch[]>,
  close?: () => void,
): FamilyEvaluator {
  return { family: `${conditionType}s`, conditionType, evaluator: { evaluate, ...(close && { close }) } };
}

const never = () => new Promise<readonly SignalMatch[]>(() => {});

describe('SignalEngine', () => {
  it('keys matches by condition type and rule name', async () => {
    const engine = new SignalEngine(
      [
        family('keyword', () => [match('code'), match('urgent')]),
        family('domain', async () => [match('code', 0.8)]),
      ],
      { timeoutMs: 1000 },
    );
    const report = await engine.evaluate(contextFor('hi'));
    expect([...report.matches.keys()].sort()).toEqual(['domain:code', 'keyword:code', 'keyword:urgent']);
    expect(report.matches.get('domain:code')).toEqual(match('code', 0.8));
  });

  it('passes the request context to every family', async () => {
    const seen: string[] = [];
    const engine = new SignalEngine(
      [
        family('a', () => []),
        {
          family: 'b',
          conditionType: 'b',
          evaluator: {
            evaluate: (context) => {
              seen.push(context.lastUserText);
              return [];
            },
          },
        },
      ],
      { timeoutMs: 1000 },
    );
    await engine.evaluate(contextFor('route me'));
    expect(seen).toEqual(['route me']);
  });

  it('starts every family before waiting for any (concurrent evaluation)', async () => {
    // `slow` resolves only once `fast` has been called: a sequential engine would time `slow` out.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const engine = new SignalEngine(
      [
        family('slow', async () => {
          await released;
          return [match('a')];
        }),
        family('fast', async () => {
          release();
          return [match('b')];
        }),
      ],
      { timeoutMs: 500 },
    );
    const report = await engine.evaluate(contextFor('x'));
    expect(report.families.map((f) => f.error)).toEqual([undefined, undefined]);
    expect([...report.matches.keys()].sort()).toEqual(['fast:b', 'slow:a']);
  });

  it('an async family exceeding timeoutMs yields an error and no matches while the others still match', async () => {
    const engine = new SignalEngine(
      [
        family('keyword', () => [match('code')]),
        family('domain', never),
        family('language', async () => [match('en', 0.9)]),
      ],
      { timeoutMs: 30 },
    );
    const started = performance.now();
    const report = await engine.evaluate(contextFor('x'));
    expect(performance.now() - started).toBeLessThan(1000);
    const timedOut = report.families.find((f) => f.conditionType === 'domain');
    expect(timedOut).toMatchObject({ matches: [], error: 'timed out after 30 ms' });
    expect(timedOut?.durationMs).toBeGreaterThanOrEqual(25);
    expect([...report.matches.keys()].sort()).toEqual(['keyword:code', 'language:en']);
  });

  it('a late answer from a timed-out family does not leak into the report', async () => {
    let resolveLate: (m: readonly SignalMatch[]) => void = () => {};
    const late = new Promise<readonly SignalMatch[]>((resolve) => {
      resolveLate = resolve;
    });
    const engine = new SignalEngine([family('domain', () => late)], { timeoutMs: 10 });
    const report = await engine.evaluate(contextFor('x'));
    resolveLate([match('code')]);
    await late;
    expect(report.matches.size).toBe(0);
    expect(report.families[0]?.error).toMatch(/timed out/);
  });

  it.each([
    [
      'a synchronous throw',
      () => {
        throw new Error('model file missing');
      },
    ],
    ['a rejected promise', () => Promise.reject(new Error('model file missing'))],
  ])('%s is recorded as the family error without failing the request', async (_label, evaluate) => {
    const engine = new SignalEngine([family('pii', evaluate), family('keyword', () => [match('code')])], {
      timeoutMs: 1000,
    });
    const report = await engine.evaluate(contextFor('x'));
    expect(report.families.find((f) => f.conditionType === 'pii')).toMatchObject({
      family: 'piis',
      matches: [],
      error: 'model file missing',
    });
    expect([...report.matches.keys()]).toEqual(['keyword:code']);
  });

  it.each([
    [
      'throws a string',
      () => {
        throw 'model file missing';
      },
      'model file missing',
    ],
    ['rejects with a string', () => Promise.reject('model file missing'), 'model file missing'],
    [
      'throws null',
      () => {
        throw null;
      },
      /\S/,
    ],
    ['rejects with no reason (`reject()`)', () => Promise.reject(undefined), /\S/],
  ])(
    'a family that %s is recorded as failed; the other families still match',
    async (_label, evaluate, error) => {
      const engine = new SignalEngine([family('pii', evaluate), family('keyword', () => [match('code')])], {
        timeoutMs: 1000,
      });
      const report = await engine.evaluate(contextFor('x'));
      const failed = report.families.find((f) => f.conditionType === 'pii');
      expect(failed?.matches).toEqual([]);
      expect(failed?.error).toMatch(error);
      expect([...report.matches.keys()]).toEqual(['keyword:code']);
    },
  );

  it('reports every family with its duration, successful ones without an error', async () => {
    const engine = new SignalEngine([family('a', () => []), family('b', async () => [match('x')])], {
      timeoutMs: 1000,
    });
    const report = await engine.evaluate(contextFor('x'));
    expect(report.families.map((f) => f.family).sort()).toEqual(['as', 'bs']);
    for (const outcome of report.families) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('with no families, reports nothing', async () => {
    const report = await new SignalEngine([], { timeoutMs: 10 }).evaluate(contextFor('x'));
    expect(report.matches.size).toBe(0);
    expect(report.families).toEqual([]);
  });

  it('close() closes every evaluator that holds resources', () => {
    const closed: string[] = [];
    const engine = new SignalEngine(
      [
        family(
          'a',
          () => [],
          () => closed.push('a'),
        ),
        family('b', () => []),
        family(
          'c',
          () => [],
          () => closed.push('c'),
        ),
      ],
      { timeoutMs: 10 },
    );
    engine.close();
    expect(closed).toEqual(['a', 'c']);
    expect(engine.familyNames).toEqual(['as', 'bs', 'cs']);
  });
});
