// Spans leave the router over OTLP/HTTP protobuf (the router's own encoder and processor): a real router over
// loopback ext_proc exports to an HTTP receiver started here, which decodes them with the OTLP protos.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry, type Telemetry } from '../../src/telemetry/telemetry.ts';
import { runHttpExchange, setHeaders } from '../helpers/ext-proc-client.ts';
import { type LoopbackRouter, startLoopbackRouter } from '../helpers/loopback-router.ts';
import { type DecodedSpan, decodeSpans } from '../helpers/otlp-trace-proto.ts';

const spans: DecodedSpan[] = [];
const contentTypes = new Set<string | undefined>();
let receiver: Server;
let telemetry: Telemetry;
let router: LoopbackRouter;
let client: grpc.Client;

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.add(request.headers['content-type']);
      spans.push(...decodeSpans(Buffer.concat(chunks)));
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  telemetry = createTelemetry({
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
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
  receiver?.close();
});

describe('OTLP trace export over HTTP (protobuf)', () => {
  it('exports the stream span under the traceparent parent with its facts, and the upstream span under it', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const result = await runHttpExchange(client, {
      body: {
        model: 'auto',
        messages: [{ role: 'user', content: 'Write a python function that sorts a list' }],
      },
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    const root = await waitFor(
      () => spans.find((s) => s.name === 'router.ext_proc' && s.traceId === traceId),
      'the stream span',
    );
    expect(contentTypes).toEqual(new Set(['application/x-protobuf']));
    expect(root.parentSpanId).toBe(parentId);
    expect(root.kind).toBe(2); // SERVER
    expect(root.resource['service.name']).toBe('router-under-test');
    expect(root.scope).toBe('semantic-router');
    expect(root.status.code).toBe(0);
    expect(root.attributes).toMatchObject({
      'router.decision.name': 'code',
      'router.model.name': 'coder',
      'router.pool.name': 'h100-pool',
      'router.response_path': 'upstream',
      'gen_ai.request.model': 'auto',
      'http.request.method': 'POST',
    });
    for (const stage of ['parse', 'signals', 'decision', 'model_selection', 'pool_selection'])
      expect(root.attributes[`router.stage.${stage}.ms`]).toEqual(expect.any(Number));
    expect(root.attributes['router.signal.families']).toEqual(expect.arrayContaining([expect.any(String)]));
    const upstream = await waitFor(
      () => spans.find((s) => s.parentSpanId === root.spanId),
      'the upstream response span',
    );
    expect(upstream).toMatchObject({ name: 'router.upstream_response', traceId });
    expect(upstream.attributes['http.response.status_code']).toBe(200);
    for (const span of spans.filter((s) => s.traceId === traceId))
      expect(JSON.stringify(span.attributes)).not.toContain('sorts a list');
    const upstreamHeaders = setHeaders(result.requestHeaders.request_headers?.response?.header_mutation);
    expect(upstreamHeaders.traceparent).toBe(`00-${traceId}-${root.spanId}-01`);
  });
});
