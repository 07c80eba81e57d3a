// telemetry.shutdown() flushes the span processors but never waits longer than its timeout: an exporter stuck on
// an unreachable collector must not hold up the router's exit.
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createTelemetry } from '../../../src/telemetry/telemetry.ts';

function processor(shutdown: () => Promise<void>): SpanProcessor & { shutdowns: number } {
  const fake = {
    shutdowns: 0,
    onStart: () => {},
    onEnd: () => {},
    forceFlush: async () => {},
    shutdown: () => {
      fake.shutdowns++;
      return shutdown();
    },
  };
  return fake;
}

describe('telemetry.shutdown', () => {
  it('resolves once the processors have flushed, and only flushes once', async () => {
    const flushed = processor(async () => {});
    const telemetry = createTelemetry({ env: {}, spanProcessors: [flushed], shutdownTimeoutMs: 60_000 });
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    expect(flushed.shutdowns).toBe(1);
  });

  it('rejects, naming the timeout, when a processor never finishes flushing', async () => {
    const stuck = processor(() => new Promise<void>(() => {}));
    const telemetry = createTelemetry({ env: {}, spanProcessors: [stuck], shutdownTimeoutMs: 5 });
    await expect(telemetry.shutdown()).rejects.toThrow('telemetry did not flush within 5 ms');
  });

  it('passes an export failure on to the caller', async () => {
    const failing = processor(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4318')));
    const telemetry = createTelemetry({ env: {}, spanProcessors: [failing], shutdownTimeoutMs: 60_000 });
    await expect(telemetry.shutdown()).rejects.toThrow('ECONNREFUSED');
  });
});
