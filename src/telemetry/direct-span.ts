// A recording span kept as cheaply as the router's spans allow: attributes go into two parallel lists (a key
// seen again overwrites its value), so the ~30 attributes of a stream span cost an array push each instead of
// the SDK span's checks and dictionary-mode object; the OTLP encoder reads the lists directly
// (otlp-span-encoding.ts) and every other processor or exporter sees a ReadableSpan like the SDK's. Limits,
// status rules and the events / links bookkeeping follow the SDK span (@opentelemetry/sdk-trace's SpanImpl).
import {
  type Attributes,
  type AttributeValue,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import {
  hrTime,
  hrTimeDuration,
  type InstrumentationScope,
  isTimeInput,
  isTimeInputHrTime,
  millisToHrTime,
  sanitizeAttributes,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** The span limits with every default filled in (as the SDK's tracer provider fills them). */
export type ResolvedSpanLimits = Required<SpanLimits>;

export interface DirectSpanOptions {
  readonly name: string;
  readonly kind: SpanKind;
  readonly spanContext: SpanContext;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: TimeInput | undefined;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly limits: ResolvedSpanLimits;
  readonly processor: SpanProcessor;
}

/** The attribute lists of a DirectSpan, for the OTLP encoder. */
export interface AttributeLists {
  readonly attributeKeys: readonly string[];
  readonly attributeValues: readonly AttributeValue[];
}

const EXCEPTION_EVENT = 'exception';

// Shared until a span sets its own: most spans have no links or events and end once.
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;

/** isAttributeValue of @opentelemetry/core, with the primitives the router sets checked first. */
function isValidAttributeValue(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      return Array.isArray(value) ? isHomogeneousArray(value) : false;
    default:
      return false;
  }
}

/** Null and undefined anywhere; otherwise one primitive type throughout. */
function isHomogeneousArray(values: readonly unknown[]): boolean {
  let type: string | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value == null) continue;
    const valueType = typeof value;
    if (valueType === type) continue;
    if (type !== undefined || (valueType !== 'string' && valueType !== 'number' && valueType !== 'boolean'))
      return false;
    type = valueType;
  }
  return true;
}

/** A time as the SDK span takes it: performance timestamps, epoch milliseconds, Dates and HrTimes. */
function toHrTime(input: TimeInput | undefined): HrTime {
  if (input === undefined) return hrTime();
  if (typeof input === 'number') return input <= performance.now() ? hrTime(input) : millisToHrTime(input);
  if (input instanceof Date) return millisToHrTime(input.getTime());
  return isTimeInputHrTime(input) ? input : hrTime();
}

function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (!(limit > 0) || limit === Number.POSITIVE_INFINITY) return value;
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (Array.isArray(value))
    return value.map((item) =>
      typeof item === 'string' && item.length > limit ? item.substring(0, limit) : item,
    ) as AttributeValue;
  return value;
}

/** Sanitised attributes within `countLimit`, each value truncated; and how many were left out. */
function limitedAttributes(
  input: Attributes | undefined,
  countLimit: number,
  lengthLimit: number,
): { attributes: Attributes; dropped: number } {
  const sanitized = sanitizeAttributes(input);
  const attributes: Attributes = {};
  let count = 0;
  let dropped = 0;
  for (const key of Object.keys(sanitized)) {
    if (count >= countLimit) {
      dropped++;
      continue;
    }
    attributes[key] = truncate(sanitized[key] as AttributeValue, lengthLimit);
    count++;
  }
  return { attributes, dropped };
}

export class DirectSpan implements Span, ReadableSpan, AttributeLists {
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly attributeKeys: string[] = [];
  readonly attributeValues: AttributeValue[] = [];
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  name: string;
  status: SpanStatus = UNSET_STATUS;
  endTime: HrTime = NOT_ENDED;
  duration: HrTime = NO_DURATION;
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributesView: Attributes | undefined;
  private readonly context: SpanContext;
  private readonly limits: ResolvedSpanLimits;
  private readonly processor: SpanProcessor;

  constructor(options: DirectSpanOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.context = options.spanContext;
    this.parentSpanContext = options.parentSpanContext;
    this.startTime = toHrTime(options.startTime);
    this.resource = options.resource;
    this.instrumentationScope = options.scope;
    this.limits = options.limits;
    this.processor = options.processor;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  /** The attributes as one object (built when asked: the OTLP encoder reads the lists instead). */
  get attributes(): Attributes {
    if (this.attributesView) return this.attributesView;
    const view: Attributes = {};
    for (let i = 0; i < this.attributeKeys.length; i++)
      view[this.attributeKeys[i] as string] = this.attributeValues[i];
    this.attributesView = view;
    return view;
  }

  setAttribute(key: string, value?: SpanAttributes[string]): this {
    if (value == null || this.endedWarning()) return this;
    if (key.length === 0 || !isValidAttributeValue(value)) {
      diag.warn(`Invalid attribute ${key.length === 0 ? 'key' : 'value set for key'}: ${key}`);
      return this;
    }
    const keys = this.attributeKeys;
    let index = keys.length - 1;
    while (index >= 0 && keys[index] !== key) index--;
    const stored = truncate(value, this.limits.attributeValueLengthLimit);
    if (index >= 0) this.attributeValues[index] = stored;
    else if (keys.length >= this.limits.attributeCountLimit) {
      this.droppedAttributesCount++;
      return this;
    } else {
      keys.push(key);
      this.attributeValues.push(stored);
    }
    this.attributesView = undefined;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.endedWarning()) return this;
    const limit = this.limits.eventCountLimit;
    if (limit === 0) {
      this.droppedEventsCount++;
      return this;
    }
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= limit) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes = attributesOrTime as SpanAttributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributes = undefined;
    }
    const limited = limitedAttributes(
      attributes,
      this.limits.attributePerEventCountLimit,
      this.limits.attributeValueLengthLimit,
    );
    this.events.push({
      name,
      attributes: limited.attributes,
      time: toHrTime(time),
      droppedAttributesCount: limited.dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedWarning()) return this;
    const limit = this.limits.linkCountLimit;
    if (limit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= limit) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const limited = limitedAttributes(
      link.attributes,
      this.limits.attributePerLinkCountLimit,
      this.limits.attributeValueLengthLimit,
    );
    const kept: { context: SpanContext; attributes?: Attributes; droppedAttributesCount?: number } = {
      context: link.context,
    };
    if (Object.keys(limited.attributes).length > 0) kept.attributes = limited.attributes;
    if (limited.dropped > 0) kept.droppedAttributesCount = limited.dropped;
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endedWarning() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK)
      return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR && typeof status.message === 'string')
      next.message = status.message;
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.endedWarning()) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(
        `${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    this.endTime = toHrTime(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      this.endTime = [this.startTime[0], this.startTime[1]];
      this.duration = [0, 0];
    }
    this.processor.onEnding?.(this);
    this.ended = true;
    this.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: SpanAttributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      const type = exception.code ? exception.code.toString() : exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message'])
      this.addEvent(EXCEPTION_EVENT, attributes, time);
    else diag.warn(`Failed to record an exception ${exception}`);
  }

  private endedWarning(): boolean {
    if (this.ended)
      diag.warn(
        `Cannot execute the operation on ended Span {traceId: ${this.context.traceId}, spanId: ${this.context.spanId}}`,
      );
    return this.ended;
  }
}

/** The span's attribute lists when it is a DirectSpan. */
export function attributeLists(span: ReadableSpan): AttributeLists | undefined {
  return span instanceof DirectSpan ? span : undefined;
}
