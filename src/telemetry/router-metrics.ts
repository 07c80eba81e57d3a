// The router's metric instruments behind typed methods, so label keys and values stay the bounded sets of
// metric-names.ts. Attribute objects for fixed label values are built once; policy-named ones are cached.
import type { Attributes, Counter, Gauge, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import {
  ERROR_REASON,
  LABEL,
  METRIC,
  type MetricResponsePath,
  RELOAD_OUTCOMES,
  REQUEST_BUCKETS_SECONDS,
  RESPONSE_PATHS,
  type ReloadOutcomeLabel,
  STAGE_BUCKETS_SECONDS,
  STAGES,
  type Stage,
  type TokenType,
} from './metric-names.ts';

export interface RequestLabels {
  readonly decision: string;
  readonly model: string;
  readonly pool: string;
  readonly responsePath: MetricResponsePath;
}

function fixed<K extends string>(values: readonly K[], key: string): Readonly<Record<K, Attributes>> {
  const table = {} as Record<K, Attributes>;
  for (const value of values) table[value] = Object.freeze({ [key]: value });
  return table;
}

/** Attribute objects for label values that come from the policy (bounded by it), built once per value. */
class AttributeCache {
  private readonly byFirst = new Map<string, Map<string, Attributes>>();

  constructor(
    private readonly firstKey: string,
    private readonly secondKey: string,
  ) {}

  get(first: string, second: string): Attributes {
    let bySecond = this.byFirst.get(first);
    if (!bySecond) {
      bySecond = new Map();
      this.byFirst.set(first, bySecond);
    }
    let attributes = bySecond.get(second);
    if (!attributes) {
      attributes = Object.freeze({ [this.firstKey]: first, [this.secondKey]: second });
      bySecond.set(second, attributes);
    }
    return attributes;
  }
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

export class RouterMetrics {
  private readonly requests: Counter;
  private readonly requestDuration: Histogram;
  private readonly stageDuration: Histogram;
  private readonly signalDuration: Histogram;
  private readonly signalMatches: Counter;
  private readonly signalOnErrors: Counter;
  private readonly errors: Counter;
  private readonly inflight: UpDownCounter;
  private readonly policyGeneration: Gauge;
  private readonly policyReloads: Counter;
  private readonly tokens: Counter;

  private readonly pathAttributes = fixed(RESPONSE_PATHS, LABEL.responsePath);
  private readonly stageAttributes = fixed(STAGES, LABEL.stage);
  private readonly outcomeAttributes = fixed(RELOAD_OUTCOMES, LABEL.outcome);
  private readonly reasonAttributes = new Map<string, Attributes>();
  private readonly familyAttributes = new Map<string, Attributes>();
  private readonly matchAttributes = new AttributeCache(LABEL.family, LABEL.signal);
  private readonly onErrorAttributes = new AttributeCache(LABEL.family, LABEL.action);
  private readonly tokenAttributes = new AttributeCache(LABEL.model, LABEL.tokenType);

  constructor(meter: Meter) {
    this.requests = meter.createCounter(METRIC.requests, {
      description: 'Requests by decision, model, pool and how they were answered',
    });
    this.requestDuration = meter.createHistogram(METRIC.requestDuration, {
      description: 'Router time per request, from request headers to the routing answer',
      unit: 's',
      advice: { explicitBucketBoundaries: [...REQUEST_BUCKETS_SECONDS] },
    });
    this.stageDuration = meter.createHistogram(METRIC.stageDuration, {
      description: 'Time per routing stage',
      unit: 's',
      advice: { explicitBucketBoundaries: [...STAGE_BUCKETS_SECONDS] },
    });
    this.signalDuration = meter.createHistogram(METRIC.signalDuration, {
      description: 'Time per signal family evaluation',
      unit: 's',
      advice: { explicitBucketBoundaries: [...STAGE_BUCKETS_SECONDS] },
    });
    this.signalMatches = meter.createCounter(METRIC.signalMatches, {
      description: 'Signal rules that matched a request',
    });
    this.signalOnErrors = meter.createCounter(METRIC.signalOnError, {
      description: 'Decision leaves whose signal failed, by the on_error applied',
    });
    this.errors = meter.createCounter(METRIC.errors, { description: 'Errors by reason' });
    this.inflight = meter.createUpDownCounter(METRIC.inflightStreams, {
      description: 'ext_proc streams open right now',
    });
    this.policyGeneration = meter.createGauge(METRIC.policyGeneration, {
      description: 'Generation number of the live policy',
    });
    this.policyReloads = meter.createCounter(METRIC.policyReloads, {
      description: 'Policy reload attempts by outcome',
    });
    this.tokens = meter.createCounter(METRIC.tokens, {
      description: 'Tokens reported by model usage, by model and token type',
    });
  }

  request(labels: RequestLabels, durationSeconds: number): void {
    this.requests.add(1, {
      [LABEL.decision]: labels.decision,
      [LABEL.model]: labels.model,
      [LABEL.pool]: labels.pool,
      [LABEL.responsePath]: labels.responsePath,
    });
    this.requestDuration.record(durationSeconds, this.pathAttributes[labels.responsePath]);
  }

  stage(stage: Stage, durationSeconds: number): void {
    this.stageDuration.record(durationSeconds, this.stageAttributes[stage]);
  }

  signalFamily(family: string, durationSeconds: number): void {
    let attributes = this.familyAttributes.get(family);
    if (!attributes) {
      attributes = Object.freeze({ [LABEL.family]: family });
      this.familyAttributes.set(family, attributes);
    }
    this.signalDuration.record(durationSeconds, attributes);
  }

  signalMatch(family: string, signal: string): void {
    this.signalMatches.add(1, this.matchAttributes.get(family, signal));
  }

  /** `reason`: an error catalogue code (src/errors.ts) or an ERROR_REASON value; never free-form text. */
  error(reason: string): void {
    let attributes = this.reasonAttributes.get(reason);
    if (!attributes) {
      attributes = Object.freeze({ [LABEL.reason]: reason });
      this.reasonAttributes.set(reason, attributes);
    }
    this.errors.add(1, attributes);
  }

  signalFailed(failure: 'error' | 'timeout' | 'too_long'): void {
    this.error(
      failure === 'timeout'
        ? ERROR_REASON.signalTimeout
        : failure === 'too_long'
          ? ERROR_REASON.signalTooLong
          : ERROR_REASON.signalError,
    );
  }

  /** A decision leaf's signal failed and `action` (its on_error) was applied. */
  signalOnError(family: string, action: 'skip' | 'match' | 'fail'): void {
    this.signalOnErrors.add(1, this.onErrorAttributes.get(family, action));
  }

  streamOpened(): void {
    this.inflight.add(1, NO_ATTRIBUTES);
  }

  streamClosed(): void {
    this.inflight.add(-1, NO_ATTRIBUTES);
  }

  policyLoaded(generation: number): void {
    this.policyGeneration.record(generation, NO_ATTRIBUTES);
  }

  policyReload(outcome: ReloadOutcomeLabel): void {
    this.policyReloads.add(1, this.outcomeAttributes[outcome]);
  }

  /** For the response-usage parser: tokens the model reported for one request. */
  usage(model: string, inputTokens: number, outputTokens: number): void {
    const input: TokenType = 'input';
    const output: TokenType = 'output';
    if (inputTokens > 0) this.tokens.add(inputTokens, this.tokenAttributes.get(model, input));
    if (outputTokens > 0) this.tokens.add(outputTokens, this.tokenAttributes.get(model, output));
  }
}
