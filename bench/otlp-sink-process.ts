// The do-nothing OTLP/HTTP sink (bench/otlp-sink.ts) in a process of its own, for in-process benchmarks whose CPU
// reading must not include the receiving side. Run with fork(): sends `{ tracesUrl }` once listening, answers
// `'received'` with `{ requests, bytes }`, exits when the parent disconnects.
import { startOtlpSink } from './otlp-sink.ts';

const sink = await startOtlpSink('127.0.0.1');
process.on('message', (message) => {
  if (message === 'received') process.send?.(sink.received());
});
process.on('disconnect', () => {
  void sink.close().then(() => process.exit(0));
});
process.send?.({ tracesUrl: sink.tracesUrl });
