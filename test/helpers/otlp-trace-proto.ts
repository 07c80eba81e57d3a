// OTLP ExportTraceServiceRequest as protobufjs decodes it, for tests that read what the router exports. The
// messages and field numbers are those of opentelemetry/proto (collector/trace/v1, trace/v1, common/v1,
// resource/v1); no .proto files ship in node_modules.
import protobuf from 'protobufjs';

const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
  fixed32 flags = 16;
  message Event {
    fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
  }
  message Link {
    bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4;
    uint32 dropped_attributes_count = 5; fixed32 flags = 6;
  }
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message KeyValueList { repeated KeyValue values = 1; }
message ArrayValue { repeated AnyValue values = 1; }
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
`;

const requestType = protobuf.parse(OTLP_TRACE_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

/**
 * The request as a plain object: every field present (defaults filled in, so an omitted zero and a written zero
 * read the same), bytes as hex, 64-bit integers as decimal strings.
 */
export function decodeTraceRequest(bytes: Uint8Array): Record<string, unknown> {
  return requestType.toObject(requestType.decode(bytes), {
    longs: String,
    bytes: String,
    defaults: true,
    arrays: true,
    oneofs: false,
  }) as Record<string, unknown>;
}

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly status: { code: number; message: string };
  readonly attributes: Record<string, unknown>;
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

interface WireKeyValue {
  key: string;
  value?: {
    stringValue?: string;
    boolValue?: boolean;
    intValue?: string;
    doubleValue?: number;
    arrayValue?: { values: WireKeyValue['value'][] };
  };
}

function plainValue(value: WireKeyValue['value']): unknown {
  if (!value) return undefined;
  if (value.arrayValue) return value.arrayValue.values.map(plainValue);
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.doubleValue;
}

const attributeMap = (list: WireKeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, plainValue(value)]));

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('hex');

/** Every span of the request with its attributes, resource and scope as plain values; ids as hex. */
export function decodeSpans(bytes: Uint8Array): DecodedSpan[] {
  const request = requestType.toObject(requestType.decode(bytes), { longs: String, defaults: false }) as {
    resourceSpans?: {
      resource?: { attributes?: WireKeyValue[] };
      scopeSpans?: {
        scope?: { name: string };
        spans?: {
          traceId: Uint8Array;
          spanId: Uint8Array;
          parentSpanId?: Uint8Array;
          name: string;
          kind?: number;
          status?: { code?: number; message?: string };
          attributes?: WireKeyValue[];
        }[];
      }[];
    }[];
  };
  const spans: DecodedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributeMap(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? [])
      for (const span of scopeSpans.spans ?? [])
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name,
          kind: span.kind ?? 0,
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
          attributes: attributeMap(span.attributes),
          resource,
          scope: scopeSpans.scope?.name ?? '',
        });
  }
  return spans;
}
