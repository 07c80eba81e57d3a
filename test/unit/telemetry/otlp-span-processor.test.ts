// The OTLP/HTTP protobuf span processor: batches by OTEL_BSP_* (size, delay, queue bound), exports only sampled
// spans, survives a failing collector, flushes on shutdown; its sender POSTs to a real HTTP receiver with the
// configured headers and compression over one kept-alive connection.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SpanKind, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OtlpHttpSender } from '../../../src/telemetry/otlp-http-sender.ts';
import {
  type ExportRequestSender,
  OtlpProtoSpanProcessor,
} from '../../../src/telemetry/otlp-span-processor.ts';
import { decodeSpans } from '../../helpers/otlp-trace-proto.ts';

class RecordingSender implements ExportRequestSender {
  readonly bodies: Uint8Array[] = [];
  closed = false;
  fail = false;
  hold: Promise<void> | undefined;
  async send(body: Uint8Array): Promise<void> {
    this.bodies.push(Uint8Array.from(body));
    await this.hold;
    if (this.fail) throw new Error('collector down');
  }
  close(): void {
    this.closed = true;
  }
  spanNames(): string[] {
    return this.bodies.flatMap((body) => decodeSpans(body).map((span) => span.name));
  }
}

function tracerWith(processor: OtlpProtoSpanProcessor): Tracer {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'router-under-test' }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [processor],
  }).getTracer('semantic-router');
}

const endSpans = (tracer: Tracer, count: number, prefix = 'span') => {
  for (let i = 0; i < count; i++) tracer.startSpan(`${prefix}-${i}`, { kind: SpanKind.SERVER }).end();
};

afterEach(() => {
  vi.useRealTimers();
});

describe('OtlpProtoSpanProcessor', () => {
  it('exports a batch as soon as it is full, then the rest after the schedule delay', async () => {
    vi.useFakeTimers();
    const sender = new RecordingSender();
    const processor = new OtlpProtoSpanProcessor(sender, {
      maxExportBatchSize: 3,
      scheduledDelayMillis: 1000,
    });
    const tracer = tracerWith(processor);
    endSpans(tracer, 4);
    expect(sender.bodies).toHaveLength(1);
    expect(sender.spanNames()).toEqual(['span-0', 'span-1', 'span-2']);
    await vi.advanceTimersByTimeAsync(999);
    expect(sender.bodies).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sender.spanNames()).toEqual(['span-0', 'span-1', 'span-2', 'span-3']);
    expect(decodeSpans(sender.bodies[1] as Uint8Array)[0]).toMatchObject({
      kind: 2,
      resource: { 'service.name': 'router-under-test' },
      scope: 'semantic-router',
    });
    await processor.shutdown();
    expect(processor.counts()).toEqual({ exported: 4, dropped: 0 });
  });

  it('drops spans beyond the queue while the collector is slow, and counts them', async () => {
    const sender = new RecordingSender();
    let release = () => {};
    sender.hold = new Promise((resolve) => {
      release = resolve;
    });
    const processor = new OtlpProtoSpanProcessor(sender, { maxQueueSize: 4, maxExportBatchSize: 2 });
    const tracer = tracerWith(processor);
    endSpans(tracer, 7);
    release();
    await processor.forceFlush();
    expect(processor.counts()).toEqual({ exported: 4, dropped: 3 });
    expect(sender.spanNames()).toEqual(['span-0', 'span-1', 'span-2', 'span-3']);
    await processor.shutdown();
  });

  it('skips spans that are not sampled', async () => {
    const sender = new RecordingSender();
    const processor = new OtlpProtoSpanProcessor(sender);
    const tracer = tracerWith(processor);
    const recordOnly = tracer.startSpan('record-only');
    // A span recorded but not sampled (RECORD without SAMPLED) is not exported.
    Object.assign(recordOnly.spanContext(), { traceFlags: 0 });
    recordOnly.end();
    endSpans(tracer, 1, 'sampled');
    await processor.forceFlush();
    expect(sender.spanNames()).toEqual(['sampled-0']);
    await processor.shutdown();
  });

  it('survives a failing collector: the flush rejects, the batch is dropped and counted, later batches go out', async () => {
    const sender = new RecordingSender();
    sender.fail = true;
    const processor = new OtlpProtoSpanProcessor(sender, { maxExportBatchSize: 2 });
    const tracer = tracerWith(processor);
    endSpans(tracer, 2);
    await expect(processor.forceFlush()).rejects.toThrow(/collector down/);
    sender.fail = false;
    endSpans(tracer, 1, 'later');
    await processor.forceFlush();
    expect(processor.counts()).toEqual({ exported: 1, dropped: 2 });
    await processor.shutdown();
  });

  it('gives up on an export past OTEL_BSP_EXPORT_TIMEOUT', async () => {
    vi.useFakeTimers();
    const sender = new RecordingSender();
    sender.hold = new Promise(() => {});
    const processor = new OtlpProtoSpanProcessor(sender, { exportTimeoutMillis: 500 });
    endSpans(tracerWith(processor), 2);
    const flushed = expect(processor.forceFlush()).rejects.toThrow(/500 ms/);
    await vi.advanceTimersByTimeAsync(500);
    await flushed;
    expect(processor.counts()).toEqual({ exported: 0, dropped: 2 });
  });

  it('flushes on shutdown, closes the sender and drops spans that end afterwards', async () => {
    const sender = new RecordingSender();
    const processor = new OtlpProtoSpanProcessor(sender);
    const tracer = tracerWith(processor);
    endSpans(tracer, 2);
    await processor.shutdown();
    expect(sender.spanNames()).toEqual(['span-0', 'span-1']);
    expect(sender.closed).toBe(true);
    endSpans(tracer, 1, 'late');
    await processor.forceFlush();
    expect(sender.bodies).toHaveLength(1);
  });
});

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly socketPort: number | undefined;
}

/** Answers the n-th request with `statuses[n]` (the last one from then on), a 503 with `Retry-After: 0`. */
async function startReceiver(
  ...statuses: number[]
): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        headers: request.headers,
        body: Buffer.concat(chunks),
        socketPort: request.socket.remotePort,
      });
      const status = statuses[Math.min(received.length, statuses.length) - 1] as number;
      response.writeHead(status, status === 503 ? { 'retry-after': '0' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/v1/traces`, received };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A receiver answering `statuses` and an uncompressed sender to it, both closed once `use` settles. */
async function withPlainSender(
  statuses: readonly number[],
  timeoutMillis: number,
  use: (sender: OtlpHttpSender, receiver: Receiver) => Promise<void>,
): Promise<void> {
  const receiver = await startReceiver(...statuses);
  const sender = new OtlpHttpSender({ url: receiver.url, headers: {}, timeoutMillis, compression: 'none' });
  try {
    await use(sender, receiver);
  } finally {
    sender.close();
    receiver.server.close();
  }
}

describe('OtlpHttpSender', () => {
  it('POSTs protobuf with the configured headers, gzip-compressed, over one kept-alive connection', async () => {
    const receiver = await startReceiver(200);
    const sender = new OtlpHttpSender({
      url: receiver.url,
      headers: { authorization: 'Bearer t0ken' },
      timeoutMillis: 5000,
      compression: 'gzip',
    });
    try {
      const processor = new OtlpProtoSpanProcessor(sender);
      const tracer = tracerWith(processor);
      endSpans(tracer, 1, 'first');
      await processor.forceFlush();
      endSpans(tracer, 1, 'second');
      await processor.forceFlush();
      expect(receiver.received).toHaveLength(2);
      const [first, second] = receiver.received as [Received, Received];
      expect(first.headers).toMatchObject({
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
        authorization: 'Bearer t0ken',
      });
      expect(decodeSpans(gunzipSync(first.body)).map((span) => span.name)).toEqual(['first-0']);
      expect(decodeSpans(gunzipSync(second.body)).map((span) => span.name)).toEqual(['second-0']);
      expect(second.socketPort).toBe(first.socketPort);
      expect(processor.counts()).toEqual({ exported: 2, dropped: 0 });
    } finally {
      sender.close();
      receiver.server.close();
    }
  });

  it('rejects at once when the collector refuses the body', () =>
    withPlainSender([400], 5000, async (sender, receiver) => {
      await expect(sender.send(Buffer.alloc(0))).rejects.toThrow(/400/);
      expect(receiver.received).toHaveLength(1);
    }));

  it('retries an export the collector cannot take yet (503 with Retry-After) until it is accepted', () =>
    withPlainSender([503, 503, 200], 5000, async (sender, receiver) => {
      await sender.send(Buffer.from([1, 2, 3]));
      expect(receiver.received.map((request) => [...request.body])).toEqual([
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
      ]);
    }));

  // 502 without Retry-After: the first backoff (about 1 s) is past the 300 ms timeout.
  it('stops retrying when the next try would pass the export timeout', () =>
    withPlainSender([502], 300, async (sender, receiver) => {
      await expect(sender.send(Buffer.alloc(0))).rejects.toThrow(/502/);
      expect(receiver.received).toHaveLength(1);
    }));

  it('refuses an endpoint that is not http or https', () => {
    expect(
      () =>
        new OtlpHttpSender({
          url: 'ftp://collector/v1/traces',
          headers: {},
          timeoutMillis: 1,
          compression: 'none',
        }),
    ).toThrow(/http: and https:/);
  });
});
