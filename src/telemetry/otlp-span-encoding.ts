// ReadableSpans to OTLP protobuf (opentelemetry/proto/trace/v1/trace.proto and collector/trace/v1/
// trace_service.proto), field for field what the SDK's OTLP exporter sends: ids as bytes, kind offset by one,
// integral numbers as int_value and the others as double_value, W3C flags plus the has-is-remote bits.
// A span is encoded as soon as it ends (otlp-span-processor.ts); an export request wraps the encoded spans of
// one resource and scope.
import type { Attributes, AttributeValue, HrTime, Link, SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { varintSize } from '../protobuf-wire.ts';
import { attributeLists } from './direct-span.ts';
import { lengthDelimitedSize, ProtoWriter } from './otlp-proto-writer.ts';

type InstrumentationScope = ReadableSpan['instrumentationScope'];
type SpanEvent = ReadableSpan['events'][number];

const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64_EXCLUSIVE = 2 ** 63;

// Field numbers, from the OTLP protos.
const SCOPE_SPANS_SPANS = 2;

function writeTime(writer: ProtoWriter, field: number, time: HrTime): void {
  writer.fixed64NanosField(field, time[0], time[1]);
}

function writeAnyValue(writer: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writer.stringField(1, value);
      return;
    case 'boolean':
      writer.varintField(2, value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64_EXCLUSIVE)
        writer.int64Field(3, value);
      else writer.doubleField(4, value);
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        writer.bytesField(7, value);
        return;
      }
      if (Array.isArray(value)) {
        const array = writer.beginField(5);
        for (const item of value) {
          const itemStart = writer.beginField(1);
          writeAnyValue(writer, item);
          writer.endField(itemStart);
        }
        writer.endField(array);
        return;
      }
      {
        const list = writer.beginField(6);
        const entries = value as Record<string, unknown>;
        for (const key in entries)
          if (Object.hasOwn(entries, key)) writeKeyValue(writer, 1, key, entries[key]);
        writer.endField(list);
      }
      return;
    default:
  }
}

/** Attribute keys repeat from span to span: each one's `key` field, encoded once. */
const keyFields = new Map<string, Uint8Array>();
const MAX_CACHED_KEYS = 4096;

function keyField(key: string): Uint8Array | undefined {
  let field = keyFields.get(key);
  if (field === undefined && keyFields.size < MAX_CACHED_KEYS) {
    const writer = new ProtoWriter(key.length * 3 + 8);
    writer.stringField(1, key);
    field = writer.copy();
    keyFields.set(key, field);
  }
  return field;
}

// AnyValue tags (field << 3 | wire type) and the KeyValue `value` tag.
const TAG_VALUE = 0x12;
const TAG_STRING = 0x0a;
const TAG_BOOL = 0x10;
const TAG_INT = 0x18;
const TAG_DOUBLE = 0x21;

/**
 * Most attributes are a cached key with a short ASCII string, a number or a boolean: their KeyValue is shorter
 * than 128 bytes, so every length is one byte known before writing, and the whole field is written in one run.
 * False (nothing written) for anything else.
 */
function writeShortKeyValue(writer: ProtoWriter, field: number, key: Uint8Array, value: unknown): boolean {
  const keyLength = key.length;
  let valueLength: number;
  switch (typeof value) {
    case 'string':
      valueLength = 2 + value.length;
      break;
    case 'number':
      if (!Number.isInteger(value)) valueLength = 9;
      else if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) valueLength = 1 + varintSize(value);
      else return false;
      break;
    case 'boolean':
      valueLength = 2;
      break;
    default:
      return false;
  }
  const length = keyLength + 2 + valueLength;
  if (length >= 0x80 || field >= 16) return false;
  const buffer = writer.room(length + 2);
  let pos = writer.pos;
  buffer[pos++] = field * 8 + 2;
  buffer[pos++] = length;
  buffer.set(key, pos);
  pos += keyLength;
  buffer[pos++] = TAG_VALUE;
  buffer[pos++] = valueLength;
  if (typeof value === 'string') {
    buffer[pos++] = TAG_STRING;
    buffer[pos++] = value.length;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return false;
      buffer[pos++] = code;
    }
    writer.pos = pos;
  } else if (typeof value === 'boolean') {
    buffer[pos++] = TAG_BOOL;
    buffer[pos++] = value ? 1 : 0;
    writer.pos = pos;
  } else if (valueLength === 9) {
    buffer[pos++] = TAG_DOUBLE;
    buffer.writeDoubleLE(value as number, pos);
    writer.pos = pos + 8;
  } else {
    buffer[pos++] = TAG_INT;
    writer.pos = pos;
    writer.varint(value as number);
  }
  return true;
}

function writeKeyValue(writer: ProtoWriter, field: number, key: string, value: unknown): void {
  const encodedKey = keyField(key);
  if (encodedKey && writeShortKeyValue(writer, field, encodedKey, value)) return;
  const start = writer.beginField(field);
  if (encodedKey) writer.raw(encodedKey);
  else writer.stringField(1, key);
  const valueStart = writer.beginField(2);
  writeAnyValue(writer, value);
  writer.endField(valueStart);
  writer.endField(start);
}

function writeAttributes(writer: ProtoWriter, field: number, attributes: Attributes): void {
  // Object.keys, not for…in: a span's attributes object holds more keys than V8 keeps in fast mode, and for…in
  // over a dictionary-mode object costs twice as much.
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value: AttributeValue | undefined = attributes[key];
    if (value !== undefined) writeKeyValue(writer, field, key, value);
  }
}

function writeAttributeLists(
  writer: ProtoWriter,
  field: number,
  keys: readonly string[],
  values: readonly AttributeValue[],
): void {
  for (let i = 0; i < keys.length; i++) writeKeyValue(writer, field, keys[i] as string, values[i]);
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (
    (traceFlags & 0xff) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_CONTEXT_IS_REMOTE : 0)
  );
}

function writeEvent(writer: ProtoWriter, event: SpanEvent): void {
  const start = writer.beginField(11);
  writeTime(writer, 1, event.time);
  writer.stringField(2, event.name);
  if (event.attributes) writeAttributes(writer, 3, event.attributes);
  if (event.droppedAttributesCount) writer.varintField(4, event.droppedAttributesCount);
  writer.endField(start);
}

function writeLink(writer: ProtoWriter, link: Link): void {
  const start = writer.beginField(13);
  const context = link.context;
  writer.hexBytesField(1, context.traceId);
  writer.hexBytesField(2, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) writer.stringField(3, traceState);
  if (link.attributes) writeAttributes(writer, 4, link.attributes);
  if (link.droppedAttributesCount) writer.varintField(5, link.droppedAttributesCount);
  writer.fixed32Field(6, spanFlags(context.traceFlags, context.isRemote));
  writer.endField(start);
}

function writeStatus(writer: ProtoWriter, status: SpanStatus): void {
  const start = writer.beginField(15);
  if (status.message) writer.stringField(2, status.message);
  if (status.code) writer.varintField(3, status.code);
  writer.endField(start);
}

/** One span as the `spans` field of a ScopeSpans message (tag and length included). */
export function writeSpanField(writer: ProtoWriter, span: ReadableSpan): void {
  const start = writer.beginField(SCOPE_SPANS_SPANS);
  const context = span.spanContext();
  writer.hexBytesField(1, context.traceId);
  writer.hexBytesField(2, context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) writer.stringField(3, traceState);
  const parent = span.parentSpanContext;
  if (parent?.spanId) writer.hexBytesField(4, parent.spanId);
  writer.stringField(5, span.name);
  // The API's kinds start at INTERNAL = 0; the proto's at SPAN_KIND_UNSPECIFIED = 0.
  writer.varintField(6, span.kind + 1);
  writeTime(writer, 7, span.startTime);
  writeTime(writer, 8, span.endTime);
  const lists = attributeLists(span);
  if (lists) writeAttributeLists(writer, 9, lists.attributeKeys, lists.attributeValues);
  else writeAttributes(writer, 9, span.attributes);
  if (span.droppedAttributesCount) writer.varintField(10, span.droppedAttributesCount);
  for (const event of span.events) writeEvent(writer, event);
  if (span.droppedEventsCount) writer.varintField(12, span.droppedEventsCount);
  for (const link of span.links) writeLink(writer, link);
  if (span.droppedLinksCount) writer.varintField(14, span.droppedLinksCount);
  writeStatus(writer, span.status);
  writer.fixed32Field(16, spanFlags(context.traceFlags, parent?.isRemote));
  writer.endField(start);
}

/** The `resource` field of ResourceSpans. */
export function encodeResourceField(resource: Resource): Buffer {
  const writer = new ProtoWriter(1024);
  const start = writer.beginField(1);
  writeAttributes(writer, 1, resource.attributes);
  writer.endField(start);
  return writer.copy();
}

/** The `scope` field of ScopeSpans. */
export function encodeScopeField(scope: InstrumentationScope): Buffer {
  const writer = new ProtoWriter(256);
  const start = writer.beginField(1);
  writer.stringField(1, scope.name);
  if (scope.version) writer.stringField(2, scope.version);
  writer.endField(start);
  return writer.copy();
}

/** Encoded spans of one resource and one instrumentation scope. */
export interface SpanGroup {
  /** From encodeResourceField. */
  readonly resourceField: Uint8Array;
  readonly resourceSchemaUrl: string | undefined;
  /** From encodeScopeField. */
  readonly scopeField: Uint8Array;
  readonly scopeSchemaUrl: string | undefined;
  /** `spans` fields from writeSpanField, back to back. */
  readonly spans: Uint8Array;
}

const stringFieldSize = (value: string): number => 1 + lengthDelimitedSize(Buffer.byteLength(value));

/** An ExportTraceServiceRequest of the groups, sized first and written into one buffer. */
export function encodeExportRequest(groups: readonly SpanGroup[]): Buffer {
  const scopeSpansSizes: number[] = [];
  const resourceSpansSizes: number[] = [];
  let total = 0;
  for (const group of groups) {
    const scopeSpans =
      group.scopeField.length +
      group.spans.length +
      (group.scopeSchemaUrl ? stringFieldSize(group.scopeSchemaUrl) : 0);
    const resourceSpans =
      group.resourceField.length +
      1 +
      lengthDelimitedSize(scopeSpans) +
      (group.resourceSchemaUrl ? stringFieldSize(group.resourceSchemaUrl) : 0);
    scopeSpansSizes.push(scopeSpans);
    resourceSpansSizes.push(resourceSpans);
    total += 1 + lengthDelimitedSize(resourceSpans);
  }
  const writer = new ProtoWriter(total + 16);
  groups.forEach((group, i) => {
    writer.tag(1, 2);
    writer.varint(resourceSpansSizes[i] as number);
    writer.raw(group.resourceField);
    writer.tag(2, 2);
    writer.varint(scopeSpansSizes[i] as number);
    writer.raw(group.scopeField);
    writer.raw(group.spans);
    if (group.scopeSchemaUrl) writer.stringField(3, group.scopeSchemaUrl);
    if (group.resourceSchemaUrl) writer.stringField(3, group.resourceSchemaUrl);
  });
  return writer.view();
}
