// The router's per-request instruments, aggregated here instead of in the OpenTelemetry SDK and handed to every
// metric reader as a MetricProducer. The SDK hashes each record's attribute object (sort + JSON) and reads the
// active context: ~1 µs per record, ~30 records per request. Here the attribute objects are the router's cached,
// frozen ones, so a record is one identity-keyed map lookup and a bucket search. Points are cumulative, as the
// SDK's own readers default to.
import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import type { CollectionResult, MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import { resources, sdkMetrics } from './sdk-modules.ts';
import { INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION } from './semconv.ts';

export interface InstrumentOptions {
  readonly description: string;
  readonly unit?: string;
}

export interface LocalCounter {
  add(value: number, attributes: Attributes): void;
}

export interface LocalHistogram {
  record(value: number, attributes: Attributes): void;
}

interface SumPoint {
  readonly startTime: HrTime;
  value: number;
}

interface HistogramPoint {
  readonly startTime: HrTime;
  readonly counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** The attribute set's identity as the SDK computes it: keys sorted, so key order does not matter. */
function attributesKey(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((key) => [key, attributes[key]]),
  );
}

/** Series per instrument before new attribute sets go to one overflow series (the SDK's default limit). */
const CARDINALITY_LIMIT = 2000;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * Points by attribute set. Frozen attribute objects (the router's cached label sets) are found by identity, the
 * fast path; any other object by its sorted key, as the SDK does, so fresh objects with the same labels share a
 * point and the identity map cannot grow with them.
 */
class Series<P> {
  readonly #byIdentity = new Map<Attributes, P>();
  readonly #byKey = new Map<string, { attributes: Attributes; point: P }>();

  constructor(private readonly create: () => P) {}

  get(attributes: Attributes): P {
    const known = this.#byIdentity.get(attributes);
    if (known) return known;
    let key = attributesKey(attributes);
    if (!this.#byKey.has(key) && this.#byKey.size >= CARDINALITY_LIMIT - 1) {
      key = attributesKey(OVERFLOW_ATTRIBUTES);
      attributes = OVERFLOW_ATTRIBUTES;
    }
    let entry = this.#byKey.get(key);
    if (!entry) {
      entry = {
        attributes: Object.isFrozen(attributes) ? attributes : { ...attributes },
        point: this.create(),
      };
      this.#byKey.set(key, entry);
    }
    if (Object.isFrozen(attributes) && this.#byIdentity.size < 4 * CARDINALITY_LIMIT)
      this.#byIdentity.set(attributes, entry.point);
    return entry.point;
  }

  get empty(): boolean {
    return this.#byKey.size === 0;
  }

  entries(): IterableIterator<{ attributes: Attributes; point: P }> {
    return this.#byKey.values();
  }
}

function nowHrTime(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

class Sum implements LocalCounter {
  readonly points = new Series<SumPoint>(() => ({ startTime: nowHrTime(), value: 0 }));

  constructor(
    readonly name: string,
    readonly options: InstrumentOptions,
    readonly monotonic: boolean,
  ) {}

  add(value: number, attributes: Attributes): void {
    if (Number.isNaN(value) || (this.monotonic && value < 0)) return;
    this.points.get(attributes).value += value;
  }
}

class ExplicitHistogram implements LocalHistogram {
  readonly points: Series<HistogramPoint>;

  constructor(
    readonly name: string,
    readonly options: InstrumentOptions,
    readonly boundaries: readonly number[],
  ) {
    this.points = new Series(() => ({
      startTime: nowHrTime(),
      counts: new Array<number>(boundaries.length + 1).fill(0),
      sum: 0,
      count: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
    }));
  }

  record(value: number, attributes: Attributes): void {
    if (!Number.isFinite(value) || value < 0) return;
    const point = this.points.get(attributes);
    // Buckets are (previous, boundary]: the first boundary ≥ value, as the SDK counts them.
    let bucket = 0;
    while (bucket < this.boundaries.length && value > (this.boundaries[bucket] as number)) bucket++;
    point.counts[bucket] = (point.counts[bucket] ?? 0) + 1;
    point.sum += value;
    point.count++;
    if (value < point.min) point.min = value;
    if (value > point.max) point.max = value;
  }
}

export class AggregatedMetrics implements MetricProducer {
  readonly #sums: Sum[] = [];
  readonly #histograms: ExplicitHistogram[] = [];

  counter(name: string, options: InstrumentOptions): LocalCounter {
    const sum = new Sum(name, options, true);
    this.#sums.push(sum);
    return sum;
  }

  upDownCounter(name: string, options: InstrumentOptions): LocalCounter {
    const sum = new Sum(name, options, false);
    this.#sums.push(sum);
    return sum;
  }

  histogram(name: string, options: InstrumentOptions, boundaries: readonly number[]): LocalHistogram {
    const histogram = new ExplicitHistogram(name, options, [...boundaries]);
    this.#histograms.push(histogram);
    return histogram;
  }

  async collect(): Promise<CollectionResult> {
    const { AggregationTemporality, DataPointType } = sdkMetrics();
    const endTime = nowHrTime();
    const descriptor = (name: string, options: InstrumentOptions) => ({
      name,
      description: options.description,
      unit: options.unit ?? '',
      valueType: ValueType.DOUBLE,
    });
    const metrics: MetricData[] = [];
    for (const sum of this.#sums) {
      if (sum.points.empty) continue;
      metrics.push({
        descriptor: descriptor(sum.name, sum.options),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: sum.monotonic,
        dataPoints: [...sum.points.entries()].map(({ attributes, point }) => ({
          attributes,
          startTime: point.startTime,
          endTime,
          value: point.value,
        })),
      });
    }
    for (const histogram of this.#histograms) {
      if (histogram.points.empty) continue;
      metrics.push({
        descriptor: descriptor(histogram.name, histogram.options),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: [...histogram.points.entries()].map(({ attributes, point }) => ({
          attributes,
          startTime: point.startTime,
          endTime,
          value: {
            buckets: { boundaries: [...histogram.boundaries], counts: [...point.counts] },
            sum: point.sum,
            count: point.count,
            min: point.min,
            max: point.max,
          },
        })),
      });
    }
    return {
      // The reader keeps the SDK producer's resource; only the scope metrics of this one are merged.
      resourceMetrics: {
        resource: resources().emptyResource(),
        scopeMetrics: [{ scope: { name: INSTRUMENTATION_SCOPE, version: INSTRUMENTATION_VERSION }, metrics }],
      },
      errors: [],
    };
  }
}
