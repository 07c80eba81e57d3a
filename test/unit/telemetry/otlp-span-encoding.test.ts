// The router's OTLP span encoder against the SDK's own serialiser: the same spans, decoded with the OTLP protos,
// read the same field for field (ids, parent, kind, times, every attribute type, events, links, status, flags,
// resource, scope).
import {
  type Context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DirectTracer, spanLimitsFromEnv } from '../../../src/telemetry/direct-tracer.ts';
import { ProtoWriter } from '../../../src/telemetry/otlp-proto-writer.ts';
import {
  encodeExportRequest,
  encodeResourceField,
  encodeScopeField,
  writeSpanField,
} from '../../../src/telemetry/otlp-span-encoding.ts';
import { decodeTraceRequest } from '../../helpers/otlp-trace-proto.ts';

const RESOURCE = resourceFromAttributes({ 'service.name': 'router-under-test', 'deployment.zone': 'eu-1' });

type TracerKind = 'sdk' | 'direct';

/** The SDK's tracer, or the router's own (direct-tracer.ts), both exporting into `exporter`. */
function tracerOf(kind: TracerKind, exporter: InMemorySpanExporter): Tracer {
  const processor = new SimpleSpanProcessor(exporter);
  if (kind === 'direct')
    return new DirectTracer({
      resource: RESOURCE,
      scope: { name: 'semantic-router', version: '1.2.3' },
      sampler: new AlwaysOnSampler(),
      processors: [processor],
      limits: spanLimitsFromEnv({}),
    });
  const provider = new BasicTracerProvider({
    resource: RESOURCE,
    sampler: new AlwaysOnSampler(),
    spanProcessors: [processor],
  });
  return provider.getTracer('semantic-router', '1.2.3');
}

function recordSpans(kind: TracerKind = 'sdk'): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const tracer = tracerOf(kind, exporter);
  const remoteParent: Context = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=x'),
  });
  const root = tracer.startSpan('router.ext_proc', { kind: SpanKind.SERVER }, remoteParent);
  root.setAttributes({
    'gen_ai.request.model': 'auto',
    'router.request.stream': true,
    'router.request.messages': 3,
    'router.stage.signals.ms': 0.125,
    'router.selection.scores': [0.5, 1, -2.25],
    'router.signal.families': ['keyword', 'language', 'pii'],
    'router.request.negative': -42,
    'router.request.big': 2 ** 60,
    'router.request.unicode': 'Grüße, 世界 — ok',
    // Longer than 127 bytes: the KeyValue, AnyValue and the span itself take two-byte lengths.
    'router.selection.reason': 'x'.repeat(300),
    'router.flags': [true, false],
  });
  root.addEvent('router.retry', { 'router.retry.attempt': 2 });
  root.addLink({
    context: { traceId: 'ffffffffffffffffffffffffffffff01', spanId: 'aaaaaaaaaaaaaa01', traceFlags: 1 },
    attributes: { 'link.kind': 'follows' },
  });
  const child = tracer.startSpan('router.upstream_response', {}, trace.setSpan(remoteParent, root));
  child.setAttribute('http.response.status_code', 500);
  child.setAttribute('http.response.status_code', 503);
  child.setStatus({ code: SpanStatusCode.ERROR });
  child.end();
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid_json' });
  root.end();
  const other = tracer.startSpan('router.ext_proc');
  other.end();
  return exporter.getFinishedSpans();
}

function encodeOurs(spans: readonly ReadableSpan[]): Buffer {
  const writer = new ProtoWriter(64);
  for (const span of spans) writeSpanField(writer, span);
  const first = spans[0] as ReadableSpan;
  return encodeExportRequest([
    {
      resourceField: encodeResourceField(first.resource),
      resourceSchemaUrl: first.resource.schemaUrl,
      scopeField: encodeScopeField(first.instrumentationScope),
      scopeSchemaUrl: first.instrumentationScope.schemaUrl,
      spans: writer.view(),
    },
  ]);
}

/** A decoded request without what differs from run to run: ids and times. */
function withoutIdsAndTimes(request: unknown): unknown {
  return JSON.parse(
    JSON.stringify(request, (key, value) =>
      /^(traceId|spanId|parentSpanId|startTimeUnixNano|endTimeUnixNano|timeUnixNano)$/.test(key)
        ? undefined
        : value,
    ),
  );
}

describe('OTLP span encoding', () => {
  it.each<TracerKind>(['sdk', 'direct'])(
    'decodes to what the SDK serialiser sends for the same spans (%s tracer)',
    (kind) => {
      const spans = recordSpans(kind);
      const ours = decodeTraceRequest(encodeOurs(spans));
      const sdk = decodeTraceRequest(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
      expect(ours).toEqual(sdk);
      // The comparison saw the spans, not two empty requests.
      expect(JSON.stringify(ours)).toContain('router.upstream_response');
      expect(JSON.stringify(ours)).toContain('x'.repeat(300));
    },
  );

  it("the router's tracer records what the SDK's tracer records", () => {
    const sdk = decodeTraceRequest(
      ProtobufTraceSerializer.serializeRequest(recordSpans('sdk')) as Uint8Array,
    );
    const direct = decodeTraceRequest(encodeOurs(recordSpans('direct')));
    expect(withoutIdsAndTimes(direct)).toEqual(withoutIdsAndTimes(sdk));
    expect(JSON.stringify(direct)).toContain('router.retry.attempt');
  });

  it('keeps ids, the remote parent, kind, status and UTF-8 text as sent', () => {
    const spans = recordSpans();
    const request = decodeTraceRequest(encodeOurs(spans)) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue: string } }[] };
        scopeSpans: {
          scope: { name: string; version: string };
          spans: {
            traceId: string;
            parentSpanId: string;
            traceState: string;
            kind: number;
            flags: number;
            status: { code: number; message: string };
            attributes: { key: string; value: { stringValue: string; intValue: string } }[];
          }[];
        }[];
      }[];
    };
    const [resourceSpans] = request.resourceSpans;
    expect(resourceSpans?.resource.attributes).toContainEqual(
      expect.objectContaining({
        key: 'service.name',
        value: expect.objectContaining({ stringValue: 'router-under-test' }),
      }),
    );
    const scopeSpans = resourceSpans?.scopeSpans[0];
    expect(scopeSpans?.scope).toMatchObject({ name: 'semantic-router', version: '1.2.3' });
    const root = scopeSpans?.spans[1];
    expect(Buffer.from(root?.traceId ?? '', 'base64').toString('hex')).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(Buffer.from(root?.parentSpanId ?? '', 'base64').toString('hex')).toBe('b7ad6b7169203331');
    expect(root?.kind).toBe(2); // SPAN_KIND_SERVER
    expect(root?.traceState).toBe('vendor=abc,other=x');
    expect(root?.flags).toBe(0x301); // sampled, has-is-remote, is-remote
    expect(root?.status).toEqual({ code: 2, message: 'invalid_json' });
    const value = (key: string) => root?.attributes.find((a) => a.key === key)?.value;
    expect(value('router.request.unicode')?.stringValue).toBe('Grüße, 世界 — ok');
    expect(value('router.request.negative')?.intValue).toBe('-42');
    expect(value('router.request.big')?.intValue).toBe(String(2n ** 60n));
  });

  it('writes span times to the nanosecond', () => {
    const cases: [number, number][] = [
      [0, 0],
      [1_764_733_000, 999_999_999],
      [4_294_967_296, 1],
      [18_000_000_000, 123_456_789],
    ];
    for (const [seconds, nanos] of cases) {
      const writer = new ProtoWriter(4);
      writer.fixed64NanosField(7, seconds, nanos);
      const bytes = writer.view();
      expect(bytes[0]).toBe((7 << 3) | 1);
      expect(bytes.readBigUInt64LE(1)).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
    }
  });
});
