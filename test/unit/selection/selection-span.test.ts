// The stream span carries the model selection's algorithm, its reason and each candidate's score, parts and
// exclusion, bounded and without request text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { SPAN } from '../../../src/telemetry/semconv.ts';
import { spanNamed, testTelemetry } from '../telemetry/telemetry-helpers.ts';
import { LIVE_POLICY } from './live-fixtures.ts';

const POLICY = `${LIVE_POLICY}
routing:
  decisions:
    - name: chat
      rules: { operator: AND, conditions: [] }
      modelRefs: [ { model: small }, { model: medium }, { model: large } ]
      algorithm:
        type: multi_factor
        multi_factor: { weights: { quality: 1, cost: 1, latency: 0, load: 0 }, slo: { max_cost_per_1m: 5 } }
`;

let policy: Policy;
beforeAll(async () => {
  policy = await compilePolicyText(POLICY, 'span.yaml');
});
afterAll(() => policy.close());

describe('model selection on the stream span', () => {
  it('records the algorithm, reason, candidates with scores, parts and exclusions, and no prompt text', async () => {
    const { telemetry, spans } = testTelemetry({ metrics: false });
    const processor = new StreamProcessor(createRequestRouter(policy), {
      maxBodyBytes: 1024 * 1024,
      failOpen: false,
      onUnexpectedError: () => {},
      telemetry: telemetry.startStream(),
    });
    processor.onRequestHeaders(
      new Map([
        [':method', 'POST'],
        [':path', '/v1/chat/completions'],
      ]),
      false,
    );
    const body = { model: 'auto', messages: [{ role: 'user', content: 'my secret is hunter2' }] };
    await processor.onRequestBody(Buffer.from(JSON.stringify(body)), true);
    processor.release();
    const span = spanNamed(spans.getFinishedSpans(), SPAN.stream);
    expect(span.attributes).toMatchObject({
      'router.selection.algorithm': 'multi_factor',
      'router.selection.candidates': ['small', 'medium', 'large'],
      'router.selection.excluded': ['', '', expect.stringMatching(/^slo: price [\d.]+\/1M > 5\/1M$/)],
    });
    expect(span.attributes['router.selection.reason']).toMatch(/^highest score: /);
    expect(span.attributes['router.selection.scores']).toEqual([0.5, 0.5, 0]);
    expect((span.attributes['router.selection.parts'] as string[])[0]).toMatch(
      /^quality:0 cost:1 expected_cost:/,
    );
    expect(JSON.stringify(span.attributes)).not.toContain('hunter2');
    await telemetry.shutdown();
  });
});
