// The OTLP/HTTP protobuf span pipeline: a span processor that encodes each sampled span to protobuf bytes the
// moment it ends and exports batches of those bytes (otlp-http-sender.ts). It replaces the SDK's
// BatchSpanProcessor + OTLP exporter for http/protobuf with the same OTEL_BSP_* semantics (queue bound, batch
// size, schedule delay, export timeout): the span objects die young instead of waiting in a queue for the next
// export, and the encoding writes straight into one buffer per batch.
import { type Context, diag, TraceFlags } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { BufferConfig, ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtoWriter } from './otlp-proto-writer.ts';
import {
  encodeExportRequest,
  encodeResourceField,
  encodeScopeField,
  type SpanGroup,
  writeSpanField,
} from './otlp-span-encoding.ts';

type InstrumentationScope = ReadableSpan['instrumentationScope'];

/** Where batches go: OtlpHttpSender, or a test double. */
export interface ExportRequestSender {
  send(body: Uint8Array): Promise<void>;
  close(): void;
}

const DEFAULTS = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 5000,
  exportTimeoutMillis: 30_000,
} as const;

/** Spans of one resource and scope waiting for the next export. */
interface PendingGroup {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly writer: ProtoWriter;
}

export interface ExportCounts {
  /** Spans in export requests the collector accepted. */
  readonly exported: number;
  /** Spans dropped: queue full, export failed or timed out, or ended after shutdown. */
  readonly dropped: number;
}

export class OtlpProtoSpanProcessor implements SpanProcessor {
  private readonly maxQueueSize: number;
  private readonly maxExportBatchSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly exportTimeoutMillis: number;
  private readonly groups: PendingGroup[] = [];
  private readonly resourceFields = new Map<Resource, Uint8Array>();
  private readonly scopeFields = new Map<InstrumentationScope, Uint8Array>();
  /** Exports under way, each resolving to why it failed (undefined: accepted). */
  private readonly inFlight = new Set<Promise<Error | undefined>>();
  private pendingSpans = 0;
  private inFlightSpans = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private exported = 0;
  private dropped = 0;

  constructor(
    private readonly sender: ExportRequestSender,
    config: BufferConfig = {},
  ) {
    this.maxQueueSize = config.maxQueueSize ?? DEFAULTS.maxQueueSize;
    this.maxExportBatchSize = Math.min(
      config.maxExportBatchSize ?? DEFAULTS.maxExportBatchSize,
      this.maxQueueSize,
    );
    this.scheduledDelayMillis = config.scheduledDelayMillis ?? DEFAULTS.scheduledDelayMillis;
    this.exportTimeoutMillis = config.exportTimeoutMillis ?? DEFAULTS.exportTimeoutMillis;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped) {
      this.dropped++;
      return;
    }
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    // The queue holds what waits for an export and what is being exported, as the SDK's does.
    if (this.pendingSpans + this.inFlightSpans >= this.maxQueueSize) {
      this.dropped++;
      return;
    }
    writeSpanField(this.groupOf(span).writer, span);
    this.pendingSpans++;
    if (this.pendingSpans >= this.maxExportBatchSize) this.exportPending();
    else this.timer ??= setTimeout(() => this.exportPending(), this.scheduledDelayMillis).unref();
  }

  /** Exports what waits and awaits every export under way; rejects, as the SDK's does, when one failed. */
  async forceFlush(): Promise<void> {
    this.exportPending();
    const failures = await Promise.all(this.inFlight);
    const failure = failures.find((error) => error !== undefined);
    if (failure) throw failure;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.forceFlush();
    } finally {
      this.stopped = true;
      this.sender.close();
    }
  }

  counts(): ExportCounts {
    return { exported: this.exported, dropped: this.dropped };
  }

  private groupOf(span: ReadableSpan): PendingGroup {
    const { resource, instrumentationScope: scope } = span;
    for (const group of this.groups) if (group.scope === scope && group.resource === resource) return group;
    const group = { resource, scope, writer: new ProtoWriter() };
    this.groups.push(group);
    return group;
  }

  private exportPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const spans = this.pendingSpans;
    if (spans === 0) return;
    const body = encodeExportRequest(this.takeGroups());
    for (const group of this.groups) group.writer.reset();
    this.pendingSpans = 0;
    this.inFlightSpans += spans;
    const done = this.send(body, spans).finally(() => {
      this.inFlightSpans -= spans;
      this.inFlight.delete(done);
    });
    this.inFlight.add(done);
  }

  private takeGroups(): SpanGroup[] {
    const taken: SpanGroup[] = [];
    for (const group of this.groups) {
      if (group.writer.pos === 0) continue;
      taken.push({
        resourceField: this.resourceField(group.resource),
        resourceSchemaUrl: group.resource.schemaUrl,
        scopeField: this.scopeField(group.scope),
        scopeSchemaUrl: group.scope.schemaUrl,
        spans: group.writer.view(),
      });
    }
    return taken;
  }

  private resourceField(resource: Resource): Uint8Array {
    let field = this.resourceFields.get(resource);
    if (!field) {
      field = encodeResourceField(resource);
      this.resourceFields.set(resource, field);
    }
    return field;
  }

  private scopeField(scope: InstrumentationScope): Uint8Array {
    let field = this.scopeFields.get(scope);
    if (!field) {
      field = encodeScopeField(scope);
      this.scopeFields.set(scope, field);
    }
    return field;
  }

  private async send(body: Uint8Array, spans: number): Promise<Error | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.sender.send(body),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`span export exceeded ${this.exportTimeoutMillis} ms`)),
            this.exportTimeoutMillis,
          );
        }),
      ]);
      this.exported += spans;
      return undefined;
    } catch (error) {
      this.dropped += spans;
      diag.error('OTLP span export failed', error);
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      clearTimeout(timer);
    }
  }
}
