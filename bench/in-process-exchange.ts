// The benchmark's request mix as in-process benches replay it: each item's four ext_proc messages decoded once, then
// driven through a StreamProcessor (request headers, body, response headers, body) with no gRPC in between.
import type { RequestRouter } from '../src/pipeline.ts';
import type { HeaderMap } from '../src/server/ext-proc-messages.ts';
import { StreamProcessor } from '../src/server/stream-processor.ts';
import { readHeaderMap } from '../src/server/wire.ts';
import type { StreamTelemetry } from '../src/telemetry/stream-telemetry.ts';
import { loadExtProcDefinition } from './ext-proc-proto.ts';
import { buildWorkload } from './workload.ts';

export interface Exchange {
  readonly requestHeaders: HeaderMap | undefined;
  readonly body: Uint8Array;
  readonly responseHeaders: HeaderMap | undefined;
  readonly answer: Uint8Array;
}

/** The workload's pre-encoded ext_proc messages, decoded once: the measured loop does no protobuf work. */
export function loadExchanges(data: string, size: number, seed: number, skipLong: boolean): Exchange[] {
  const { process: method } = loadExtProcDefinition();
  const items = buildWorkload({ dataDir: data, size, seed, encode: method.requestSerialize });
  return items
    .filter((item) => !skipLong || item.source !== 'long')
    .map((item) => {
      const [headers, body, responseHeaders, answer] = item.messages.map((m) => method.requestDeserialize(m));
      return {
        requestHeaders: headers?.request_headers?.headers,
        body: body?.request_body?.body ?? new Uint8Array(),
        responseHeaders: responseHeaders?.response_headers?.headers,
        answer: answer?.response_body?.body ?? new Uint8Array(),
      };
    });
}

/** One stream of `exchange` through a new StreamProcessor, as Envoy would send it. */
export async function driveExchange(
  router: RequestRouter,
  telemetry: StreamTelemetry,
  exchange: Exchange,
): Promise<void> {
  const processor = new StreamProcessor(router, {
    maxBodyBytes: 8 * 1024 * 1024,
    failOpen: false,
    onUnexpectedError: () => {},
    telemetry,
  });
  const { headers } = readHeaderMap(exchange.requestHeaders, processor.headerLimits);
  processor.onRequestHeaders(headers, false);
  const routed = await processor.onRequestBody(exchange.body, true);
  if (routed.kind !== 'immediate') {
    await processor.onResponseHeaders(readHeaderMap(exchange.responseHeaders).headers);
    await processor.onResponseBody(exchange.answer, true);
  }
  processor.release();
}
