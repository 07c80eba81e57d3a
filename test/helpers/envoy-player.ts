// Plays Envoy's part for end-to-end tests: one HTTP request through ext_proc (request headers and body), routing on
// x-selected-pool to the upstream of that cluster with the router's mutations applied, and the upstream's answer back
// through ext_proc as Envoy sends it (BUFFERED JSON in one message; SSE chunk by chunk once the router switched the
// response body to STREAMED), with the router's body mutations applied to what the client receives.
import type * as grpc from '@grpc/grpc-js';
import {
  ExtProcExchange,
  headerMap,
  immediateJson,
  setHeaders,
  type WireCommonResponse,
  type WireProcessingResponse,
} from './ext-proc-client.ts';

export interface PlayedRequest {
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body: Record<string, unknown>;
  /** Cancel the ext_proc stream after this many response body chunks (the client went away). */
  readonly cancelAfterChunks?: number;
}

export interface PlayedAnswer {
  /** The cluster the request went to; undefined when the router answered itself. */
  readonly cluster: string | undefined;
  readonly routerHeaders: Record<string, string>;
  readonly forwardedBody: Record<string, unknown> | undefined;
  /** What the client receives: the upstream's (or the router's) status and body after the router's mutations. */
  readonly status: number;
  readonly clientHeaders: Record<string, string>;
  readonly clientBody: string;
  /** The upstream's own body, before the router changed it. */
  readonly upstreamBody: string;
  /** Dynamic metadata the router set, by namespace, merged over the stream. */
  readonly metadata: Record<string, Record<string, unknown>>;
}

/** google.protobuf.Struct as the canonical client decodes it, to plain JSON (flat values only). */
function structValues(struct: unknown): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const fields = (
    struct as { fields?: Record<string, { structValue?: { fields?: Record<string, unknown> } }> }
  )?.fields;
  for (const [namespace, value] of Object.entries(fields ?? {})) {
    const inner: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value.structValue?.fields ?? {})) {
      const field = v as { stringValue?: string; numberValue?: number; boolValue?: boolean };
      inner[key] = field.stringValue ?? field.numberValue ?? field.boolValue;
    }
    out[namespace] = inner;
  }
  return out;
}

function mergeMetadata(into: PlayedAnswer['metadata'], message: WireProcessingResponse): void {
  const struct = (message as { dynamic_metadata?: unknown }).dynamic_metadata;
  if (!struct) return;
  for (const [namespace, values] of Object.entries(structValues(struct)))
    into[namespace] = { ...(into[namespace] ?? {}), ...values };
}

export async function playRequest(
  client: grpc.Client,
  upstreams: ReadonlyMap<string, number>,
  request: PlayedRequest,
): Promise<PlayedAnswer> {
  const path = request.path ?? '/v1/chat/completions';
  const raw = Buffer.from(JSON.stringify(request.body));
  const metadata: PlayedAnswer['metadata'] = {};
  const exchange = ExtProcExchange.open(client);
  let cancelled = false;
  try {
    const headersAnswer = await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': path,
          ':authority': 'router.test',
          'content-type': 'application/json',
          ...request.headers,
        }),
        end_of_stream: false,
      },
    });
    const immediateOf = (answer: WireProcessingResponse): PlayedAnswer | undefined => {
      const immediate = answer.immediate_response;
      if (!immediate) return undefined;
      mergeMetadata(metadata, answer);
      const body = (immediate.body ?? Buffer.alloc(0)).toString('utf8');
      return {
        cluster: undefined,
        routerHeaders: {},
        forwardedBody: undefined,
        // The status only (the body may be SSE): immediateJson maps Envoy's StatusCode enum names to numbers.
        status: immediateJson({ ...immediate, body: Buffer.from('null') }).status,
        clientHeaders: setHeaders(immediate.headers),
        clientBody: body,
        upstreamBody: '',
        metadata,
      };
    };
    const early = immediateOf(headersAnswer);
    if (early) return early;
    const bodyAnswer = await exchange.send({ request_body: { body: raw, end_of_stream: true } });
    const answered = immediateOf(bodyAnswer);
    if (answered) return answered;
    mergeMetadata(metadata, bodyAnswer);
    const common: WireCommonResponse | undefined = bodyAnswer.request_body?.response;
    const routerHeaders = setHeaders(common?.header_mutation);
    const forwarded = common?.body_mutation?.body ?? raw;
    const cluster = routerHeaders['x-selected-pool'];
    const port = cluster === undefined ? undefined : upstreams.get(cluster);
    if (port === undefined) throw new Error(`no upstream for cluster ${cluster}`);
    const upstream = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...routerHeaders },
      body: forwarded,
    });
    const responseHeaders = await exchange.send({
      response_headers: {
        headers: headerMap({
          ':status': String(upstream.status),
          'content-type': upstream.headers.get('content-type') ?? '',
        }),
      },
    });
    const clientHeaders = setHeaders(responseHeaders.response_headers?.response?.header_mutation);
    const streamed = responseHeaders.mode_override?.response_body_mode === 'STREAMED';
    const upstreamChunks: Buffer[] = [];
    const clientChunks: Buffer[] = [];
    const reader = upstream.body?.getReader();
    const send = async (chunk: Buffer, endOfStream: boolean) => {
      const answer = await exchange.send({ response_body: { body: chunk, end_of_stream: endOfStream } });
      mergeMetadata(metadata, answer);
      const mutation = answer.response_body?.response?.body_mutation;
      clientChunks.push(mutation?.body ?? (mutation?.clear_body ? Buffer.alloc(0) : chunk));
    };
    let chunks = 0;
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      const chunk = Buffer.from(next.value);
      upstreamChunks.push(chunk);
      if (streamed) {
        await send(chunk, false);
        chunks++;
        if (request.cancelAfterChunks !== undefined && chunks >= request.cancelAfterChunks) {
          cancelled = true;
          await reader?.cancel();
          exchange.call.cancel();
          await exchange.finished;
          break;
        }
      }
    }
    if (!cancelled) {
      if (streamed) await send(Buffer.alloc(0), true);
      else await send(Buffer.concat(upstreamChunks), true);
    }
    return {
      cluster,
      routerHeaders,
      forwardedBody: JSON.parse(forwarded.toString('utf8')),
      status: upstream.status,
      clientHeaders,
      clientBody: Buffer.concat(clientChunks).toString('utf8'),
      upstreamBody: Buffer.concat(upstreamChunks).toString('utf8'),
      metadata,
    };
  } finally {
    if (!cancelled) await exchange.close();
  }
}
