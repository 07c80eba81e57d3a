// The samplers OTEL_TRACES_SAMPLER names, with the decisions and descriptions of the SDK's (AlwaysOn, AlwaysOff,
// TraceIdRatioBased, ParentBased from @opentelemetry/sdk-trace) but none of their per-call cost: every stream asks
// once, sampled or not, and the SDK's checked each id with a case-insensitive regex and answered with a new object.
// test/unit/telemetry/samplers.test.ts holds them to the SDK's decisions.
import {
  type Attributes,
  type Context,
  type Link,
  SamplingDecision,
  type SamplingResult,
  type SpanContext,
  type SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { HEX_DIGIT_VALUES } from './hex-digits.ts';

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

function hexDigit(id: string, index: number): number {
  const code = id.charCodeAt(index);
  return code < 128 ? (HEX_DIGIT_VALUES[code] as number) : -1;
}

/** `digits` hex digits, not all zero: the W3C rule for trace (32) and span (16) ids, as the API checks it. */
function isValidHexId(id: string, digits: number): boolean {
  if (id.length !== digits) return false;
  let any = 0;
  for (let i = 0; i < digits; i++) {
    const value = hexDigit(id, i);
    if (value < 0) return false;
    any |= value;
  }
  return any !== 0;
}

/** The API's isSpanContextValid without its regexes. */
export function isValidSpanContext(context: SpanContext): boolean {
  return isValidHexId(context.traceId, 32) && isValidHexId(context.spanId, 16);
}

/**
 * The trace id's four 32-bit words XORed together (TraceIdRatioBased's measure of an id), or -1 when the id is not a
 * valid one (which that sampler never samples).
 */
function traceIdWords(traceId: string): number {
  if (traceId.length !== 32) return -1;
  let accumulation = 0;
  let any = 0;
  for (let word = 0; word < 32; word += 8) {
    let part = 0;
    for (let i = word; i < word + 8; i++) {
      const value = hexDigit(traceId, i);
      if (value < 0) return -1;
      part = (part << 4) | value;
    }
    any |= part;
    accumulation = (accumulation ^ part) >>> 0;
  }
  return any === 0 ? -1 : accumulation;
}

export class AlwaysOnSampler implements Sampler {
  shouldSample(): SamplingResult {
    return SAMPLED;
  }
  toString(): string {
    return 'AlwaysOnSampler';
  }
}

export class AlwaysOffSampler implements Sampler {
  shouldSample(): SamplingResult {
    return NOT_SAMPLED;
  }
  toString(): string {
    return 'AlwaysOffSampler';
  }
}

/** Samples a `ratio` of trace ids, by the same measure of the id as the SDK (and so the same ids). */
export class TraceIdRatioBasedSampler implements Sampler {
  private readonly ratio: number;
  private readonly upperBound: number;

  constructor(ratio: number) {
    this.ratio = Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
    this.upperBound = this.ratio === 1 ? 0x1_0000_0000 : Math.floor(this.ratio * 0xffffffff);
  }

  shouldSample(_context: Context, traceId: string): SamplingResult {
    const words = traceIdWords(traceId);
    return words >= 0 && words < this.upperBound ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

/** Follows a valid parent's sampled flag (local or remote); `root` decides for a span without one. */
export class ParentBasedSampler implements Sampler {
  constructor(private readonly root: Sampler) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent === undefined || !isValidSpanContext(parent))
      return this.root.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    return parent.traceFlags & TraceFlags.SAMPLED ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    const on = 'AlwaysOnSampler';
    const off = 'AlwaysOffSampler';
    return `ParentBased{root=${this.root.toString()}, remoteParentSampled=${on}, remoteParentNotSampled=${off}, localParentSampled=${on}, localParentNotSampled=${off}}`;
  }
}
