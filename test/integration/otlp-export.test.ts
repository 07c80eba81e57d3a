// Spans leave the router over OTLP/gRPC: a real router over loopback ext_proc exports to an OTLP trace receiver
// started here, and the spans continue the trace named by the request's `traceparent` (or the stream metadata).
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../../src/telemetry/telemetry.ts';
import { ExtProcExchange, headerMap, runHttpExchange, setHeaders } from '../helpers/ext-proc-client.ts';
import { type LoopbackRouter, startLoopbackRouter } from '../helpers/loopback-router.ts';

// The part of opentelemetry/proto/collector/trace/v1 this test reads (field numbers as in the OTLP protos; no
// .proto files ship in node_modules and the exporter encodes by hand).
const OTLP_SUBSET = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  repeated KeyValue attributes = 9;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
}
`;

interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly serviceName: string | undefined;
  readonly attributes: Record<string, unknown>;
}

interface DecodedKeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: number; doubleValue?: number };
}

interface DecodedRequest {
  resourceSpans?: {
    resource?: { attributes?: DecodedKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: Buffer;
        spanId: Buffer;
        parentSpanId?: Buffer;
        name: string;
        attributes?: DecodedKeyValue[];
      }[];
    }[];
  }[];
}

const attributeMap = (list: DecodedKeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries(
    (list ?? []).map(({ key, value }) => [
      key,
      value?.stringValue ?? value?.boolValue ?? value?.intValue ?? value?.doubleValue,
    ]),
  );

/** A minimal OTLP/gRPC trace receiver that keeps every span it is sent. */
async function startReceiver(): Promise<{ port: number; spans: ReceivedSpan[]; server: grpc.Server }> {
  const requestType = protobuf.parse(OTLP_SUBSET).root.lookupType('otlp.ExportTraceServiceRequest');
  const spans: ReceivedSpan[] = [];
  const server = new grpc.Server();
  const passThrough = (value: Buffer) => value;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const request = requestType.toObject(requestType.decode(call.request), {
          longs: Number,
          defaults: false,
        }) as DecodedRequest;
        for (const resourceSpans of request.resourceSpans ?? []) {
          const serviceName = attributeMap(resourceSpans.resource?.attributes)['service.name'];
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              spans.push({
                traceId: Buffer.from(span.traceId).toString('hex'),
                spanId: Buffer.from(span.spanId).toString('hex'),
                parentSpanId: span.parentSpanId ? Buffer.from(span.parentSpanId).toString('hex') : '',
                name: span.name,
                serviceName: typeof serviceName === 'string' ? serviceName : undefined,
                attributes: attributeMap(span.attributes),
              });
            }
          }
        }
        // An empty ExportTraceServiceResponse: full success.
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, spans, server };
}

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let telemetry: Telemetry;
let router: LoopbackRouter;
let client: grpc.Client;

beforeAll(async () => {
  receiver = await startReceiver();
  telemetry = createTelemetry({
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      OTEL_SERVICE_NAME: 'router-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
  });
  router = await startLoopbackRouter(readFileSync('policies/default.yaml', 'utf8'), { telemetry });
  client = router.client;
});

afterAll(async () => {
  await router?.close();
  await telemetry?.shutdown();
  receiver?.server.forceShutdown();
});

const chat = (content: string) => ({ model: 'auto', messages: [{ role: 'user', content }] });

describe('OTLP trace export over gRPC', () => {
  it('exports the stream span under the traceparent parent, with its stage times, and sends it upstream', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parentId = 'b7ad6b7169203331';
    const result = await runHttpExchange(client, {
      body: chat('Write a python function that reverses a linked list'),
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    const root = await waitFor(
      () => receiver.spans.find((s) => s.name === 'router.ext_proc' && s.traceId === traceId),
      'the stream span',
    );
    expect(root.parentSpanId).toBe(parentId);
    expect(root.serviceName).toBe('router-under-test');
    expect(root.attributes).toMatchObject({
      'router.decision.name': 'code',
      'router.model.name': 'coder',
      'router.pool.name': 'h100-pool',
      'router.response_path': 'upstream',
      'gen_ai.request.model': 'auto',
    });
    // The stages are timed on the stream span; its only child is the upstream response (nothing failed).
    for (const stage of ['parse', 'signals', 'decision', 'model_selection', 'pool_selection'])
      expect(root.attributes[`router.stage.${stage}.ms`]).toEqual(expect.any(Number));
    const children = await waitFor(() => {
      const found = receiver.spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
      return found.length > 0 ? found : undefined;
    }, 'the upstream response span');
    expect(children).toEqual(['router.upstream_response']);
    for (const span of receiver.spans.filter((s) => s.name.startsWith('router.') && s.traceId === traceId))
      expect(JSON.stringify(span.attributes)).not.toContain('linked list');
    // The upstream request continues the trace from the router's span.
    const upstream = setHeaders(result.requestHeaders.request_headers?.response?.header_mutation);
    expect(upstream.traceparent).toBe(`00-${traceId}-${root.spanId}-01`);
  });

  it('takes the parent from the stream’s gRPC metadata when the request has no traceparent', async () => {
    const traceId = 'ffffffffffffffffffffffffffffff01';
    const parentId = 'aaaaaaaaaaaaaa01';
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', `00-${traceId}-${parentId}-01`);
    const process = (client as unknown as { Process: (m: grpc.Metadata) => ExtProcExchange['call'] }).Process;
    const exchange = new ExtProcExchange(process.call(client, metadata));
    try {
      const answer = await exchange.send({
        request_headers: {
          headers: headerMap({ ':method': 'GET', ':path': '/v1/models', ':authority': 'router.test' }),
          end_of_stream: true,
        },
      });
      expect(answer.immediate_response).toBeDefined();
    } finally {
      await exchange.close();
    }
    const root = await waitFor(
      () => receiver.spans.find((s) => s.name === 'router.ext_proc' && s.traceId === traceId),
      'the stream span',
    );
    expect(root.parentSpanId).toBe(parentId);
    expect(root.attributes['router.response_path']).toBe('local');
  });
});
