// Property: for any bytes, decodeJsonBody + parseLlmRequest return a ParsedRequest whose invariants hold or throw
// InvalidRequestError, never another exception (fixed seed; bench/fuzz-parsers.ts runs the generator longer).
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors.ts';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import { decodeJsonBody, parseLlmRequest } from '../../../src/request/openai-request.ts';
import {
  deeplyNested,
  FUZZ_APIS,
  type FuzzCase,
  fuzzCases,
  runFuzzCase,
  SEED_REQUESTS,
} from '../../helpers/request-fuzz.ts';

const SEED = 20_240_611;
const CASES = 3_000;

function describeCase(fuzz: FuzzCase): string {
  const text = Buffer.from(fuzz.bytes.subarray(0, 200)).toString('utf8');
  return `${fuzz.api}/${fuzz.kind}: ${text}${fuzz.bytes.length > 200 ? '…' : ''}`;
}

describe('parser fuzz', () => {
  it('every seed request parses with its invariants', () => {
    for (const api of FUZZ_APIS) {
      for (const body of SEED_REQUESTS[api]) {
        const outcome = runFuzzCase({ api, kind: 'seed', bytes: Buffer.from(JSON.stringify(body)) });
        expect(outcome, `${api}: ${JSON.stringify(body).slice(0, 80)}`).toEqual({
          outcome: 'parsed',
          violations: [],
        });
      }
    }
  });

  it(`${CASES} generated cases parse or are rejected with InvalidRequestError, never crash`, () => {
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    for (const fuzz of fuzzCases(SEED, CASES)) {
      const result = runFuzzCase(fuzz);
      const key = result.outcome === 'rejected' ? `rejected:${result.code}` : result.outcome;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (result.outcome === 'crash') failures.push(`${describeCase(fuzz)}\n  → ${String(result.error)}`);
      else if (result.outcome === 'parsed' && result.violations.length > 0)
        failures.push(`${describeCase(fuzz)}\n  → ${result.violations.join('; ')}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // The generator reaches both sides of the property and the depth and encoding guards.
    expect(outcomes.get('parsed')).toBeGreaterThan(CASES / 10);
    for (const code of [
      'invalid_json',
      'invalid_encoding',
      'json_too_deep',
      'invalid_request',
      'missing_model',
    ])
      expect(outcomes.get(`rejected:${code}`), code).toBeGreaterThan(0);
  });

  it.each(FUZZ_APIS.flatMap((api) => [5_000, 100_000].map((depth) => [api, depth] as const)))(
    '%s nested %i levels deep → json_too_deep, not a stack overflow',
    (api, depth) => {
      for (const shape of [() => 0.1, () => 0.9]) {
        const bytes = deeplyNested(api, depth, shape);
        let caught: unknown;
        try {
          parseLlmRequest(api, decodeJsonBody(bytes));
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(InvalidRequestError);
        expect((caught as InvalidRequestError).code).toBe('json_too_deep');
        expect((caught as InvalidRequestError).message).toContain('64');
      }
    },
  );

  it('nesting at the limit is accepted, one level more is not', () => {
    const api: LlmApi = 'chat_completions';
    // The body object is level 1, so 63 levels inside `messages` reach exactly 64.
    expect(() => decodeJsonBody(deeplyNested(api, 63, () => 0.1))).not.toThrow();
    expect(() => decodeJsonBody(deeplyNested(api, 64, () => 0.1))).toThrow(/64/);
    expect(() =>
      decodeJsonBody(
        deeplyNested(api, 64, () => 0.1),
        { maxDepth: 65 },
      ),
    ).not.toThrow();
  });
});
