// The router's samplers decide as the SDK's do, for the same trace ids and parents (root spans, remote and local
// parents, sampled or not, valid or not), and describe themselves the same way.
import { ROOT_CONTEXT, type SpanContext, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/seeded-random.ts';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  isValidSpanContext,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '../../../src/telemetry/samplers.ts';

const random = seededRandom(42);
const hex = (digits: number) =>
  Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');

/** Random ids, then the edge cases: upper case, all zeros, wrong length, non-hex, a digit past 'f'. */
const TRACE_IDS = [
  ...Array.from({ length: 2000 }, () => hex(32)),
  ...Array.from({ length: 50 }, () => hex(32).toUpperCase()),
  '0'.repeat(32),
  `${'0'.repeat(31)}1`,
  'f'.repeat(32),
  'F'.repeat(32),
  hex(31),
  hex(33),
  `${hex(31)}g`,
  `${hex(16)}-${hex(15)}`,
  `${hex(31)}é`,
  '',
];

const SPAN_IDS = [hex(16), hex(16).toUpperCase(), '0'.repeat(16), hex(15), `${hex(15)}z`];

function contextWithParent(parent: SpanContext) {
  return trace.setSpanContext(ROOT_CONTEXT, parent);
}

const RATIOS = [0, 0.0001, 0.1, 0.25, 0.5, 0.999, 1, Number.NaN];

describe('samplers', () => {
  it.each(RATIOS)('trace id ratio %s samples the ids the SDK samples', (ratio) => {
    const ours = new TraceIdRatioBasedSampler(ratio);
    const theirs = new sdk.TraceIdRatioBasedSampler(ratio);
    let sampled = 0;
    for (const traceId of TRACE_IDS) {
      const decision = ours.shouldSample(ROOT_CONTEXT, traceId).decision;
      expect(decision, traceId).toBe(theirs.shouldSample(ROOT_CONTEXT, traceId).decision);
      if (decision === sdk.SamplingDecision.RECORD_AND_SAMPLED) sampled++;
    }
    expect(ours.toString()).toBe(theirs.toString());
    if (ratio === 0.1) expect(sampled / TRACE_IDS.length).toBeCloseTo(0.1, 1);
  });

  it('parent based: follows a valid parent, asks the root without one, as the SDK does', () => {
    for (const root of ['on', 'off', 'ratio'] as const) {
      const [ourRoot, theirRoot] =
        root === 'on'
          ? [new AlwaysOnSampler(), new sdk.AlwaysOnSampler()]
          : root === 'off'
            ? [new AlwaysOffSampler(), new sdk.AlwaysOffSampler()]
            : [new TraceIdRatioBasedSampler(0.3), new sdk.TraceIdRatioBasedSampler(0.3)];
      const ours = new ParentBasedSampler(ourRoot);
      const theirs = new sdk.ParentBasedSampler({ root: theirRoot });
      expect(ours.toString()).toBe(theirs.toString());
      const contexts = [ROOT_CONTEXT];
      for (const traceId of TRACE_IDS.slice(1990))
        for (const spanId of SPAN_IDS)
          for (const isRemote of [true, false])
            for (const traceFlags of [TraceFlags.NONE, TraceFlags.SAMPLED])
              contexts.push(contextWithParent({ traceId, spanId, isRemote, traceFlags }));
      for (const context of contexts)
        for (const traceId of TRACE_IDS.slice(0, 16)) {
          const theirsDecision = theirs.shouldSample(context, traceId, 'span', SpanKind.SERVER, {}, []);
          expect(ours.shouldSample(context, traceId, 'span', SpanKind.SERVER, {}, []).decision).toBe(
            theirsDecision.decision,
          );
        }
    }
  });

  it('a span context is valid exactly when the API says so', () => {
    for (const traceId of TRACE_IDS.slice(1990))
      for (const spanId of SPAN_IDS) {
        const context = { traceId, spanId, traceFlags: TraceFlags.SAMPLED };
        expect(isValidSpanContext(context), `${traceId}/${spanId}`).toBe(trace.isSpanContextValid(context));
      }
  });
});
