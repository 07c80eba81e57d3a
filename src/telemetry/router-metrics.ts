// The router's metric instruments behind typed methods, so label keys and values stay the bounded sets of
// metric-names.ts. Attribute objects for fixed label values are built once; policy-named ones are cached.

import type { Attributes, Counter, Gauge, Meter } from '@opentelemetry/api';
import type { PoolView } from '../pools/pool-state.ts';
import type { StoreStatus } from '../state/store-holder.ts';
import { AggregatedMetrics, type LocalCounter, type LocalHistogram } from './aggregated-metrics.ts';
import {
  BREAKER_STATES,
  ERROR_REASON,
  LABEL,
  METRIC,
  type MetricResponsePath,
  RELOAD_OUTCOMES,
  REQUEST_BUCKETS_SECONDS,
  RESPONSE_PATHS,
  type ReloadOutcomeLabel,
  type ResponseBodyKind,
  STAGE_BUCKETS_SECONDS,
  STAGES,
  type Stage,
  type StatusClass,
  TOKEN_USAGE_BUCKETS,
  type TokenType,
  TPOT_BUCKETS_SECONDS,
  UPSTREAM_BUCKETS_SECONDS,
} from './metric-names.ts';

/** What the response stage learned about one routed request's answer. */
export interface AnswerRecord {
  readonly decision: string;
  readonly model: string;
  /** The provider model id (gen_ai.request.model). */
  readonly providerModel: string;
  readonly pool: string;
  /** gen_ai.operation.name: chat, text_completion, … */
  readonly operation: string;
  readonly statusClass: StatusClass;
  readonly body: ResponseBodyKind;
  readonly durationSeconds: number;
  readonly ttftSeconds?: number | undefined;
  readonly tpotSeconds?: number | undefined;
  readonly usage?:
    | {
        readonly promptTokens: number;
        readonly completionTokens: number;
        readonly cachedPromptTokens: number;
        readonly reasoningTokens: number;
      }
    | undefined;
  readonly cost?: number | undefined;
}

/**
 * Attribute objects by their values (a tree of maps, one level per label), for label sets of up to four labels.
 * The values are separate parameters, not a rest array: no array per lookup on the per-request path.
 */
class LabelSets {
  private readonly root = new Map<string, unknown>();

  constructor(private readonly keys: readonly string[]) {
    if (keys.length < 1 || keys.length > 4) throw new RangeError('a label set has one to four labels');
  }

  get(v0: string, v1 = '', v2 = '', v3 = ''): Attributes {
    let level = this.root;
    const last = this.keys.length - 1;
    for (let i = 0; i < last; i++) {
      const value = i === 0 ? v0 : i === 1 ? v1 : v2;
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const leaf = last === 0 ? v0 : last === 1 ? v1 : last === 2 ? v2 : v3;
    let attributes = level.get(leaf) as Attributes | undefined;
    if (!attributes) {
      const values = [v0, v1, v2, v3];
      attributes = Object.freeze(Object.fromEntries(this.keys.map((key, i) => [key, values[i] ?? ''])));
      level.set(leaf, attributes);
    }
    return attributes;
  }
}

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

/** gen_ai.provider.name of answers from the policy's model servers (vLLM and other OpenAI-compatible engines). */
const PROVIDER_NAME = 'openai';

export class RouterMetrics {
  private readonly requests: LocalCounter;
  private readonly requestDuration: LocalHistogram;
  private readonly stageDuration: LocalHistogram;
  private readonly signalDuration: LocalHistogram;
  private readonly signalMatches: LocalCounter;
  private readonly signalOnErrors: Counter;
  private readonly errors: Counter;
  private readonly rateLimitedRequests: Counter;
  private readonly inflight: LocalCounter;
  private readonly policyGeneration: Gauge;
  private readonly policyReloads: Counter;
  private readonly tokens: LocalCounter;
  private readonly upstreamDuration: LocalHistogram;
  private readonly timeToFirstToken: LocalHistogram;
  private readonly timePerOutputToken: LocalHistogram;
  private readonly cost: LocalCounter;
  private readonly upstreamResponses: LocalCounter;
  private readonly genAiTokenUsage: LocalHistogram;
  private readonly genAiOperationDuration: LocalHistogram;
  private readonly genAiTimeToFirstToken: LocalHistogram;
  private readonly genAiTimePerOutputToken: LocalHistogram;
  private readonly meter: Meter;
  private readonly requestLabels = new LabelSets([
    LABEL.decision,
    LABEL.model,
    LABEL.pool,
    LABEL.responsePath,
  ]);
  private readonly tokenLabels = new LabelSets([LABEL.decision, LABEL.model, LABEL.pool, LABEL.tokenType]);
  private readonly durationLabels = new LabelSets([LABEL.model, LABEL.pool, LABEL.statusClass]);
  private readonly modelPoolLabels = new LabelSets([LABEL.model, LABEL.pool]);
  private readonly costLabels = new LabelSets([LABEL.decision, LABEL.model, LABEL.pool]);
  private readonly responseLabels = new LabelSets([LABEL.model, LABEL.pool, LABEL.statusClass, LABEL.body]);
  private readonly genAiLabels = new LabelSets([
    LABEL.genAiOperationName,
    LABEL.genAiProviderName,
    LABEL.genAiRequestModel,
  ]);
  private readonly genAiTokenLabels = new LabelSets([
    LABEL.genAiOperationName,
    LABEL.genAiProviderName,
    LABEL.genAiRequestModel,
    LABEL.genAiTokenType,
  ]);

  private readonly pathAttributes = fixed(RESPONSE_PATHS, LABEL.responsePath);
  private readonly stageAttributes = fixed(STAGES, LABEL.stage);
  private readonly outcomeAttributes = fixed(RELOAD_OUTCOMES, LABEL.outcome);
  private readonly reasonAttributes = new Map<string, Attributes>();
  private readonly familyAttributes = new Map<string, Attributes>();
  private readonly matchAttributes = new AttributeCache(LABEL.family, LABEL.signal);
  private readonly onErrorAttributes = new AttributeCache(LABEL.family, LABEL.action);

  /** `aggregated`: where the per-request instruments live (the readers' MetricProducer). */
  constructor(meter: Meter, aggregated = new AggregatedMetrics()) {
    this.requests = aggregated.counter(METRIC.requests, {
      description: 'Requests by decision, model, pool and how they were answered',
    });
    const seconds = (name: string, description: string, buckets: readonly number[]) =>
      aggregated.histogram(name, { description, unit: 's' }, buckets);
    this.requestDuration = seconds(
      METRIC.requestDuration,
      'Router time per request, from request headers to the routing answer',
      REQUEST_BUCKETS_SECONDS,
    );
    this.stageDuration = seconds(METRIC.stageDuration, 'Time per routing stage', STAGE_BUCKETS_SECONDS);
    this.signalDuration = seconds(
      METRIC.signalDuration,
      'Time per signal family evaluation',
      STAGE_BUCKETS_SECONDS,
    );
    this.signalMatches = aggregated.counter(METRIC.signalMatches, {
      description: 'Signal rules that matched a request',
    });
    this.signalOnErrors = meter.createCounter(METRIC.signalOnError, {
      description: 'Decision leaves whose signal failed, by the on_error applied',
    });
    this.errors = meter.createCounter(METRIC.errors, { description: 'Errors by reason' });
    this.rateLimitedRequests = meter.createCounter(METRIC.rateLimited, {
      description: 'Requests refused by a policy rate limit',
    });
    this.inflight = aggregated.upDownCounter(METRIC.inflightStreams, {
      description: 'ext_proc streams open right now',
    });
    this.policyGeneration = meter.createGauge(METRIC.policyGeneration, {
      description: 'Generation number of the live policy',
    });
    this.policyReloads = meter.createCounter(METRIC.policyReloads, {
      description: 'Policy reload attempts by outcome',
    });
    this.meter = meter;
    this.tokens = aggregated.counter(METRIC.tokens, {
      description: 'Tokens the model reported, by decision, model, pool and token type',
    });
    this.upstreamDuration = seconds(
      METRIC.upstreamDuration,
      'Time from the routing answer to the last response byte',
      UPSTREAM_BUCKETS_SECONDS,
    );
    this.timeToFirstToken = seconds(
      METRIC.timeToFirstToken,
      'Time from the routing answer to the first generated token of a streamed answer',
      UPSTREAM_BUCKETS_SECONDS,
    );
    this.timePerOutputToken = seconds(
      METRIC.timePerOutputToken,
      'Mean time per output token after the first',
      TPOT_BUCKETS_SECONDS,
    );
    this.cost = aggregated.counter(METRIC.cost, { description: 'Cost of answered requests' });
    this.upstreamResponses = aggregated.counter(METRIC.upstreamResponses, {
      description: 'Upstream answers by status class and how their body was read',
    });
    this.genAiTokenUsage = aggregated.histogram(
      METRIC.genAiTokenUsage,
      { description: 'Tokens used per request (GenAI semantic conventions)', unit: '{token}' },
      TOKEN_USAGE_BUCKETS,
    );
    this.genAiOperationDuration = seconds(
      METRIC.genAiOperationDuration,
      'GenAI operation duration (GenAI semantic conventions)',
      UPSTREAM_BUCKETS_SECONDS,
    );
    this.genAiTimeToFirstToken = seconds(
      METRIC.genAiTimeToFirstToken,
      'Time to first token (GenAI semantic conventions)',
      UPSTREAM_BUCKETS_SECONDS,
    );
    this.genAiTimePerOutputToken = seconds(
      METRIC.genAiTimePerOutputToken,
      'Time per output token (GenAI semantic conventions)',
      TPOT_BUCKETS_SECONDS,
    );
  }

  request(labels: RequestLabels, durationSeconds: number): void {
    this.requests.add(
      1,
      this.requestLabels.get(labels.decision, labels.model, labels.pool, labels.responsePath),
    );
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

  /** `limit`: the policy limit's name; `reason`: requests, tokens or concurrency. Never a key. */
  rateLimited(limit: string, reason: string): void {
    this.rateLimitedRequests.add(1, { [LABEL.limit]: limit, [LABEL.reason]: reason });
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

  /** One routed request's answer, as the response stage read it. */
  answer(record: AnswerRecord): void {
    const { decision, model, pool } = record;
    this.upstreamResponses.add(1, this.responseLabels.get(model, pool, record.statusClass, record.body));
    this.upstreamDuration.record(
      record.durationSeconds,
      this.durationLabels.get(model, pool, record.statusClass),
    );
    const genAi = this.genAiLabels.get(record.operation, PROVIDER_NAME, record.providerModel);
    this.genAiOperationDuration.record(record.durationSeconds, genAi);
    if (record.ttftSeconds !== undefined) {
      this.timeToFirstToken.record(record.ttftSeconds, this.modelPoolLabels.get(model, pool));
      this.genAiTimeToFirstToken.record(record.ttftSeconds, genAi);
    }
    if (record.tpotSeconds !== undefined) {
      this.timePerOutputToken.record(record.tpotSeconds, this.modelPoolLabels.get(model, pool));
      this.genAiTimePerOutputToken.record(record.tpotSeconds, genAi);
    }
    const usage = record.usage;
    if (usage) {
      const add = (type: TokenType, count: number) => {
        if (count > 0) this.tokens.add(count, this.tokenLabels.get(decision, model, pool, type));
      };
      add('input', usage.promptTokens);
      add('output', usage.completionTokens);
      add('cached_input', usage.cachedPromptTokens);
      add('reasoning', usage.reasoningTokens);
      const tokens = (type: string) =>
        this.genAiTokenLabels.get(record.operation, PROVIDER_NAME, record.providerModel, type);
      this.genAiTokenUsage.record(usage.promptTokens, tokens('input'));
      this.genAiTokenUsage.record(usage.completionTokens, tokens('output'));
    }
    if (record.cost !== undefined && record.cost > 0)
      this.cost.add(record.cost, this.costLabels.get(decision, model, pool));
  }

  /** The state store's health and failed calls, read when metrics are collected. */
  observeStateStore(status: () => StoreStatus): void {
    const up = this.meter.createObservableGauge(METRIC.stateStoreUp, {
      description: '1 while the state_store backend answers; 0 while Redis is away and memory serves',
    });
    const errors = this.meter.createObservableCounter(METRIC.stateStoreErrors, {
      description: 'Failed state store calls (timeouts, lost connections, error replies)',
    });
    this.meter.addBatchObservableCallback(
      (observer) => {
        const current = status();
        const labels = { [LABEL.backend]: current.backend };
        observer.observe(up, current.up ? 1 : 0, labels);
        observer.observe(errors, current.errors, labels);
      },
      [up, errors],
    );
  }

  /** Observable gauges of the pools' live state, read when metrics are collected. */
  observePools(views: () => readonly PoolView[], scrapeFailures: (pool: string) => number): void {
    const pool = new LabelSets([LABEL.pool]);
    const breaker = new LabelSets([LABEL.pool, LABEL.state]);
    const gauge = (name: string, description: string, unit?: string) =>
      this.meter.createObservableGauge(name, { description, ...(unit && { unit }) });
    const inFlight = gauge(METRIC.poolInFlight, 'Requests in flight on the pool');
    const state = gauge(METRIC.poolBreaker, "1 for the pool's circuit-breaker state");
    const ttft = gauge(METRIC.poolTtft, "EWMA of the pool's time to first token", 's');
    const errorRate = gauge(METRIC.poolErrorRate, "Failed share of the pool's recent answers");
    const waiting = gauge(METRIC.poolWaiting, "Requests waiting in the pool's model servers (scraped)");
    const kvCache = gauge(METRIC.poolKvCache, "KV-cache usage of the pool's model servers (scraped)");
    const failures = this.meter.createObservableCounter(METRIC.poolScrapeFailures, {
      description: "Failed scrapes of the pool's metrics endpoint",
    });
    this.meter.addBatchObservableCallback(
      (observer) => {
        for (const view of views()) {
          const labels = pool.get(view.name);
          observer.observe(inFlight, view.inFlight, labels);
          for (const value of BREAKER_STATES)
            observer.observe(state, view.breaker === value ? 1 : 0, breaker.get(view.name, value));
          if (view.ewmaTtftMs !== undefined) observer.observe(ttft, view.ewmaTtftMs / 1000, labels);
          observer.observe(errorRate, view.errorRate, labels);
          if (view.scraped?.waiting !== undefined) observer.observe(waiting, view.scraped.waiting, labels);
          if (view.scraped?.kvCacheUsage !== undefined)
            observer.observe(kvCache, view.scraped.kvCacheUsage, labels);
          observer.observe(failures, scrapeFailures(view.name), labels);
        }
      },
      [inFlight, state, ttft, errorRate, waiting, kvCache, failures],
    );
  }
}
