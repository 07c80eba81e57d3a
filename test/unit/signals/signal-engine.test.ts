// SignalEngine: families run concurrently, each within its time budget and scan limit; a failing family matches
// nothing and reports its failure, with the on_error of each of its rules for decisions to apply.
import { describe, expect, it } from 'vitest';
import type { OnError } from '../../../src/policy/policy-schema.ts';
import { type FamilyEvaluator, SignalEngine } from '../../../src/signals/signal-engine.ts';
import type { SignalEvaluator, SignalMatch } from '../../../src/signals/signal-family.ts';
import { checkScanLimit } from '../../../src/signals/text-scan.ts';
import { contextFor } from '../../helpers/request-context.ts';

const match = (name: string, confidence = 1): SignalMatch => ({ name, confidence });

function family(
  conditionType: string,
  evaluate: SignalEvaluator['evaluate'],
  close?: () => void,
  options: { budgetMs?: number; onError?: Record<string, OnError> } = {},
): FamilyEvaluator {
  return {
    family: `${conditionType}s`,
    conditionType,
    evaluator: { evaluate, ...(close && { close }) },
    onError: new Map(Object.entries(options.onError ?? {})),
    budgetMs: options.budgetMs ?? 60_000,
  };
}

const withBudget = (f: FamilyEvaluator, budgetMs: number): FamilyEvaluator => ({ ...f, budgetMs });

const OPTIONS = { maxScanChars: 1_000_000 };

const never = () => new Promise<readonly SignalMatch[]>(() => {});

describe('SignalEngine', () => {
  it('keys matches by condition type and rule name', async () => {
    const engine = new SignalEngine(
      [
        family('keyword', () => [match('code'), match('urgent')]),
        family('domain', async () => [match('code', 0.8)]),
      ],
      OPTIONS,
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
          onError: new Map(),
          budgetMs: 1000,
        },
      ],
      OPTIONS,
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
      OPTIONS,
    );
    const report = await engine.evaluate(contextFor('x'));
    expect(report.families.map((f) => f.error)).toEqual([undefined, undefined]);
    expect([...report.matches.keys()].sort()).toEqual(['fast:b', 'slow:a']);
  });

  it('an async family exceeding its budget yields an error and no matches while the others still match', async () => {
    const engine = new SignalEngine(
      [
        family('keyword', () => [match('code')]),
        withBudget(family('domain', never), 30),
        family('language', async () => [match('en', 0.9)]),
      ],
      OPTIONS,
    );
    const report = await engine.evaluate(contextFor('x'));
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
    const engine = new SignalEngine(
      [
        withBudget(
          family('domain', () => late),
          10,
        ),
      ],
      OPTIONS,
    );
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
    const engine = new SignalEngine(
      [family('pii', evaluate), family('keyword', () => [match('code')])],
      OPTIONS,
    );
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
      const engine = new SignalEngine(
        [family('pii', evaluate), family('keyword', () => [match('code')])],
        OPTIONS,
      );
      const report = await engine.evaluate(contextFor('x'));
      const failed = report.families.find((f) => f.conditionType === 'pii');
      expect(failed?.matches).toEqual([]);
      expect(failed?.error).toMatch(error);
      expect([...report.matches.keys()]).toEqual(['keyword:code']);
    },
  );

  it('reports every family with its duration, successful ones without an error', async () => {
    const engine = new SignalEngine([family('a', () => []), family('b', async () => [match('x')])], OPTIONS);
    const report = await engine.evaluate(contextFor('x'));
    expect(report.families.map((f) => f.family).sort()).toEqual(['as', 'bs']);
    for (const outcome of report.families) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('with no families, reports nothing', async () => {
    const report = await new SignalEngine([], OPTIONS).evaluate(contextFor('x'));
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
      OPTIONS,
    );
    engine.close();
    expect(closed).toEqual(['a', 'c']);
    expect(engine.familyNames).toEqual(['as', 'bs', 'cs']);
  });

  it('reports the on_error of every rule of a failed family, and nothing for families that ran', async () => {
    const engine = new SignalEngine(
      [
        family('pii', () => Promise.reject(new Error('model crashed')), undefined, {
          onError: { personal: 'match', lenient: 'skip' },
        }),
        family('keyword', () => [match('code')], undefined, { onError: { code: 'fail' } }),
      ],
      OPTIONS,
    );
    const report = await engine.evaluate(contextFor('x'));
    expect([...report.failed]).toEqual([
      ['pii:personal', 'match'],
      ['pii:lenient', 'skip'],
    ]);
    expect(report.families.find((f) => f.family === 'piis')?.failure).toBe('error');
  });

  it('a family that cannot read the whole text within the scan limit fails as too_long', async () => {
    const engine = new SignalEngine(
      [
        family('pii', (context, run) => {
          checkScanLimit([context.lastUserFullText], run ?? OPTIONS_RUN);
          return [match('personal')];
        }),
      ],
      { maxScanChars: 10 },
    );
    const report = await engine.evaluate(contextFor('an SSN 078-05-1120 at the end of a long prompt'));
    expect(report.families[0]).toMatchObject({ failure: 'too_long', matches: [] });
    expect(report.families[0]?.error).toMatch(/exceeds the scan limit of 10/);
  });

  it('aborts the run of a family whose budget is over, so chunked work stops', async () => {
    let aborted: unknown;
    const engine = new SignalEngine(
      [
        withBudget(
          family('jailbreak', (_context, run) => {
            run?.signal.addEventListener('abort', () => {
              aborted = run.signal.reason;
            });
            return never();
          }),
          20,
        ),
      ],
      OPTIONS,
    );
    const report = await engine.evaluate(contextFor('x'));
    expect(report.families[0]?.failure).toBe('timeout');
    expect(String(aborted)).toMatch(/timed out after 20 ms/);
  });

  it('runs only the families asked for', async () => {
    const ran: string[] = [];
    const engine = new SignalEngine(
      [
        family('pii', () => {
          ran.push('pii');
          return [];
        }),
        family('domain', () => {
          ran.push('domain');
          return [];
        }),
      ],
      OPTIONS,
    );
    await engine.evaluate(contextFor('x'), new Set(['piis']));
    expect(ran).toEqual(['pii']);
  });

  it('does not charge a family for time the event loop was blocked by others', async () => {
    // The family needs ~40 ms of its own (four 10 ms waits); the budget is 60 ms. Right after it starts, the
    // event loop is blocked for 250 ms by someone else: a wall-clock timer would expire before the family runs on.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const engine = new SignalEngine(
      [
        withBudget(
          family('jailbreak', async () => {
            for (let i = 0; i < 4; i++) await sleep(10);
            return [match('attack')];
          }),
          60,
        ),
      ],
      OPTIONS,
    );
    const pending = engine.evaluate(contextFor('x'));
    const blockedUntil = performance.now() + 250;
    while (performance.now() < blockedUntil) {
      // busy: another stream's synchronous work
    }
    const report = await pending;
    expect(report.families[0]?.error).toBeUndefined();
    expect([...report.matches.keys()]).toEqual(['jailbreak:attack']);
  });
});

const OPTIONS_RUN = { signal: new AbortController().signal, maxScanChars: 1_000_000 };
