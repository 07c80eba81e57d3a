// Log lines about a stream carry the stream span's trace and span ids, so a log line leads to its trace.
import { describe, expect, it } from 'vitest';
import { noopTelemetry } from '../../../src/telemetry/telemetry.ts';
import { testTelemetry } from './telemetry-helpers.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('stream log fields', () => {
  it('names the trace of the request and the router span once the headers arrived', async () => {
    const { telemetry, spans } = testTelemetry();
    const stream = telemetry.startStream(undefined);
    expect(stream.logFields()).toEqual({});
    stream.requestHeaders('POST', '/v1/chat/completions', new Map([['traceparent', PARENT]]));
    const fields = stream.logFields();
    expect(fields.trace_id).toBe(TRACE_ID);
    stream.close(false);
    const [span] = spans.getFinishedSpans();
    expect(fields.span_id).toBe(span?.spanContext().spanId);
    await telemetry.shutdown();
  });

  it('adds nothing when tracing is off', () => {
    const stream = noopTelemetry.startStream(undefined);
    stream.requestHeaders('POST', '/v1/chat/completions', new Map([['traceparent', PARENT]]));
    expect(stream.logFields()).toEqual({});
  });
});
