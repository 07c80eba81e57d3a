// on_error: what a decision does when a signal it reads failed. Here the failure is deterministic: the prompt is
// longer than `limits.max_scan_chars`, so the guard families refuse to read part of it.
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { PolicyError } from '../../../src/errors.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { spanNamed, testTelemetry } from '../telemetry/telemetry-helpers.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

function policyText(options: { ruleOnError?: string; leafOnError?: string; maxScanChars?: number }): string {
  return `
version: v1
default_model: public
limits: { max_scan_chars: ${options.maxScanChars ?? 200} }
pools:
  - { name: public-pool, max_context_tokens: 32K }
  - { name: private-pool, max_context_tokens: 32K, private: true }
models:
  - { name: public, pools: [public-pool] }
  - { name: private, pools: [private-pool] }
routing:
  signals:
    pii:
      - { name: personal${options.ruleOnError ? `, on_error: ${options.ruleOnError}` : ''} }
    keywords:
      - { name: secret, keywords: [confidential] }
  decisions:
    - name: private_data
      priority: 100
      enforce: always
      rules:
        operator: OR
        conditions:
          - { type: pii, name: personal${options.leafOnError ? `, on_error: ${options.leafOnError}` : ''} }
          - { type: keyword, name: secret }
      modelRefs: [{ model: private }]
`;
}

async function route(text: string, options: Parameters<typeof policyText>[0], prompt: string) {
  const policy = await compilePolicyText(policyText(options), 'on-error.yaml');
  opened.push(policy);
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] }));
  return explainRequest(policy, text, body, new Map());
}

const LONG = 'A perfectly ordinary paragraph about gardening. '.repeat(10);

describe('on_error', () => {
  it('privacy families fail closed by default: a text too long to scan counts as private', async () => {
    const e = await route('default', {}, LONG);
    expect(e.signals.find((s) => s.family === 'pii')).toMatchObject({ failure: 'too_long' });
    expect(e.winner?.name).toBe('private_data');
    expect(e.pool?.name).toBe('private-pool');
    expect(e.onError).toEqual([
      { signal: 'pii:personal', action: 'match' },
      // Routing families default to skip.
      { signal: 'keyword:secret', action: 'skip' },
    ]);
  });

  it('a short text is read and judged normally', async () => {
    const e = await route('short', {}, 'hello there');
    expect(e.winner).toBeNull();
    expect(e.onError).toEqual([]);
  });

  it('the rule’s on_error: skip lets the request through unmatched', async () => {
    const e = await route('rule skip', { ruleOnError: 'skip' }, LONG);
    expect(e.winner).toBeNull();
    expect(e.onError).toContainEqual({ signal: 'pii:personal', action: 'skip' });
  });

  it('a decision leaf’s on_error overrides the rule’s', async () => {
    const e = await route('leaf skip', { leafOnError: 'skip' }, LONG);
    expect(e.winner).toBeNull();
  });

  it('on_error: fail answers 503 signal_failed', async () => {
    const e = await route('fail', { leafOnError: 'fail' }, LONG);
    expect(e.response.status).toBe(503);
    expect(e.response.body).toMatchObject({ error: { code: 'signal_failed' } });
  });

  it('is counted in router_signal_on_error_total and shown on the stream and family spans', async () => {
    const policy = await compilePolicyText(policyText({}), 'on-error.yaml');
    opened.push(policy);
    const { telemetry, spans, prometheusText } = testTelemetry();
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
    await processor.onRequestBody(
      Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: LONG }] })),
      true,
    );
    processor.release();
    const finished = spans.getFinishedSpans();
    // Only a failed family gets a span of its own: an error child of the stream span.
    const family = spanNamed(finished, 'router.signal.pii');
    const stream = spanNamed(finished, 'router.ext_proc');
    expect(family.attributes).toMatchObject({ 'router.signal.failure': 'too_long' });
    expect(family.status.code).toBe(SpanStatusCode.ERROR);
    expect(family.parentSpanContext?.spanId).toBe(stream.spanContext().spanId);
    expect(stream.attributes).toMatchObject({
      'router.signals.on_error': ['pii:personal=match', 'keyword:secret=skip'],
      'router.decision.enforced': true,
    });
    expect(stream.attributes['router.signal.failures']).toEqual(expect.arrayContaining(['pii=too_long']));
    const metrics = await prometheusText();
    expect(metrics).toContain('router_signal_on_error_total{family="pii",action="match"} 1');
    expect(metrics).toContain('router_errors_total{reason="signal_too_long"} 2');
  });

  it('rejects an unknown on_error value at policy load, on a rule and on a leaf', async () => {
    for (const options of [{ ruleOnError: 'ignore' }, { leafOnError: 'maybe' }]) {
      const error = await compilePolicyText(policyText(options), 'bad.yaml').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).message).toMatch(/on_error must be skip/);
    }
  });
});
