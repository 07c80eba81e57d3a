// Property over the whole request path (headers, body, signals, decisions, pools, answers), fixed seed: every fuzzed
// request of every API gets either a routing answer (a well-formed JSON body, a pool) or a router answer with a
// documented status — never an unexpected error, never a request the policy could not see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/errors.ts';
import type { PhaseResult } from '../../../src/mutations.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { LLM_APIS } from '../../../src/request/apis/index.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { fuzzCases } from '../../helpers/request-fuzz.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await loadPolicyFile('policies/default.yaml');
});
afterAll(() => policy.close());

const SEED = 7_031_997;
const CASES = 1_500;
const DOCUMENTED_STATUSES = new Set<number | undefined>(Object.values(ERROR_CODES));

async function run(path: string, bytes: Uint8Array): Promise<{ result: PhaseResult; unexpected: unknown[] }> {
  const unexpected: unknown[] = [];
  const processor = new StreamProcessor(createRequestRouter(policy), {
    maxBodyBytes: 8 * 1024 * 1024,
    failOpen: false,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  const headers = processor.onRequestHeaders(
    new Map([
      [':method', 'POST'],
      [':path', path],
    ]),
    bytes.length === 0,
  );
  if (headers.kind === 'immediate') return { result: headers, unexpected };
  const result = await processor.onRequestBody(bytes, true);
  processor.release();
  return { result, unexpected };
}

describe('pipeline fuzz', () => {
  it(`${CASES} fuzzed requests of every API are routed or answered with a documented error`, async () => {
    const failures: string[] = [];
    for (const fuzz of fuzzCases(SEED, CASES)) {
      const path = LLM_APIS.get(fuzz.api)?.path ?? '/v1/chat/completions';
      const { result, unexpected } = await run(path, fuzz.bytes);
      const label = `${fuzz.api}/${fuzz.kind}: ${Buffer.from(fuzz.bytes.subarray(0, 120)).toString('utf8')}`;
      if (unexpected.length > 0) failures.push(`${label} → unexpected ${String(unexpected[0])}`);
      else if (result.kind === 'immediate') {
        if (result.status !== 200 && !DOCUMENTED_STATUSES.has(result.status))
          failures.push(`${label} → status ${result.status}`);
      } else {
        const set = Object.fromEntries(result.setHeaders ?? []);
        if (!set['x-selected-pool']) failures.push(`${label} → continued without a pool`);
        try {
          JSON.parse(Buffer.from(result.body ?? new Uint8Array()).toString('utf8'));
        } catch {
          failures.push(`${label} → rewritten body is not JSON`);
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});
