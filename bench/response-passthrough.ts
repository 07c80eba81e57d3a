// "Pass-through" as the router answered responses before the response stage: the same StreamProcessor, but with the
// answer untracked once the request is routed (no ResponseTracker, the pool lease given back at once), so SSE is
// still switched to STREAMED and every response chunk gets a bare CONTINUE without being read. Benchmark-only: it
// reaches into two private fields of StreamProcessor (`tracker`, `poolLease`) and fails loudly if they are renamed.
import { StreamProcessor } from '../src/server/stream-processor.ts';

interface TrackedFields {
  tracker?: unknown;
  poolLease?: { cancel(): void } | undefined;
}

/** Drops the processor's response tracking after routing; returns whether there was any to drop. */
export function stopTracking(processor: StreamProcessor): boolean {
  const fields = processor as unknown as TrackedFields;
  if (!('tracker' in fields) || !('poolLease' in fields))
    throw new Error(
      'StreamProcessor has no tracker / poolLease field any more: update bench/response-passthrough.ts',
    );
  if (fields.tracker === undefined) return false;
  fields.poolLease?.cancel();
  fields.poolLease = undefined;
  fields.tracker = undefined;
  return true;
}

let patched = false;

/** Makes every StreamProcessor of this process untracked (for a router process started through the bench). */
export function patchStreamProcessorToPassThrough(): void {
  if (patched) return;
  patched = true;
  const original = StreamProcessor.prototype.onRequestBody;
  StreamProcessor.prototype.onRequestBody = async function (
    this: StreamProcessor,
    chunk: Uint8Array,
    endOfStream: boolean,
  ) {
    const result = await original.call(this, chunk, endOfStream);
    if (endOfStream) stopTracking(this);
    return result;
  };
}
