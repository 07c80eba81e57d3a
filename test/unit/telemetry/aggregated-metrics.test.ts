// The router's own aggregation of its per-request instruments must read exactly as the SDK's would: same series,
// bucket counts, sums and counts, through a real Prometheus reader.
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { AggregatedMetrics } from '../../../src/telemetry/aggregated-metrics.ts';

const BOUNDARIES = [0.001, 0.01, 0.1, 1];

async function prometheusText(reader: PrometheusExporter): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  return new PrometheusSerializer('', false, undefined, true, true).serialize(resourceMetrics);
}

function sdkReader(): { reader: PrometheusExporter; provider: MeterProvider } {
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  return { reader, provider: new MeterProvider({ readers: [reader] }) };
}

function aggregatedReader(): { reader: PrometheusExporter; metrics: AggregatedMetrics } {
  const metrics = new AggregatedMetrics();
  const reader = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    metricProducers: [metrics],
  });
  // A reader collects only once bound to a provider (whose own instruments are none here).
  new MeterProvider({ readers: [reader] });
  return { reader, metrics };
}

const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .sort();

describe('aggregated metrics', () => {
  const values = [0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.1, 0.5, 1, 3];
  const routes = [Object.freeze({ route: 'a' }), Object.freeze({ route: 'b' })];

  it('histograms and counters read as the SDK would record them', async () => {
    const sdk = sdkReader();
    const meter = sdk.provider.getMeter('test');
    const sdkHistogram = meter.createHistogram('stage_seconds', {
      description: 'stage time',
      unit: 's',
      advice: { explicitBucketBoundaries: BOUNDARIES },
    });
    const sdkCounter = meter.createCounter('requests', { description: 'requests' });
    const sdkInflight = meter.createUpDownCounter('inflight', { description: 'open streams' });

    const own = aggregatedReader();
    const histogram = own.metrics.histogram(
      'stage_seconds',
      { description: 'stage time', unit: 's' },
      BOUNDARIES,
    );
    const counter = own.metrics.counter('requests', { description: 'requests' });
    const inflight = own.metrics.upDownCounter('inflight', { description: 'open streams' });

    values.forEach((value, i) => {
      const attributes = routes[i % 2] as (typeof routes)[number];
      sdkHistogram.record(value, attributes);
      histogram.record(value, attributes);
      sdkCounter.add(i, attributes);
      counter.add(i, attributes);
    });
    sdkInflight.add(3);
    sdkInflight.add(-1);
    inflight.add(3, {});
    inflight.add(-1, {});

    const expected = withoutComments(await prometheusText(sdk.reader));
    expect(expected.some((line) => line.startsWith('stage_seconds_bucket{route="a",le="0.001"}'))).toBe(true);
    expect(withoutComments(await prometheusText(own.reader))).toEqual(expected);
  });

  it('is cumulative across collections and ignores what a counter cannot count', async () => {
    const own = aggregatedReader();
    const counter = own.metrics.counter('requests', { description: 'requests' });
    const histogram = own.metrics.histogram('seconds', { description: 'time', unit: 's' }, BOUNDARIES);
    const attributes = Object.freeze({ route: 'a' });
    counter.add(2, attributes);
    histogram.record(0.5, attributes);
    await prometheusText(own.reader);
    counter.add(-5, attributes);
    counter.add(Number.NaN, attributes);
    histogram.record(Number.NaN, attributes);
    counter.add(1, attributes);
    histogram.record(0.05, attributes);
    const text = await prometheusText(own.reader);
    expect(text).toContain('requests_total{route="a"} 3');
    expect(text).toContain('seconds_count{route="a"} 2');
    expect(text).toContain('seconds_sum{route="a"} 0.55');
  });

  it('exports nothing for instruments that never recorded', async () => {
    const own = aggregatedReader();
    own.metrics.counter('never', { description: 'unused' });
    expect(withoutComments(await prometheusText(own.reader))).toEqual([]);
  });
});
