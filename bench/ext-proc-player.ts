// A lean Envoy for load benchmarks (the pattern of test/helpers/envoy-player.ts, timed): one HTTP request through
// ext_proc (request headers, body), to the upstream of the x-selected-pool cluster with the router's header and body
// mutations applied, and the answer back through ext_proc as Envoy sends it (SSE chunk by chunk once the router
// switched the body to STREAMED, else one buffered message). Times what the client would see: the first and the
// last response chunk leaving Envoy, i.e. when ext_proc answered them.
import * as grpc from '@grpc/grpc-js';
import { ExtProcCall } from './ext-proc-call.ts';
import {
  type BenchHeaderMutation,
  type BenchProcessingRequest,
  type BenchProcessingResponse,
  loadExtProcDefinition,
  type ProcessMethod,
} from './ext-proc-proto.ts';

export interface PlayedRequest {
  /** The cluster the router chose; undefined when it answered itself. */
  readonly pool: string | undefined;
  /** The status the client got: the upstream's, or the router's own answer's. */
  readonly status: number;
  /** From sending the request headers to the first response body chunk answered by ext_proc, ms. */
  readonly firstChunkMs: number | undefined;
  /** From sending the request headers to the last response chunk answered by ext_proc, ms. */
  readonly totalMs: number;
  readonly chunks: number;
}

type Answer = BenchProcessingResponse;

function headerList(headers: Readonly<Record<string, string>>) {
  return {
    headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value, 'utf8') })),
  };
}

function setHeaders(mutation: BenchHeaderMutation | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const option of mutation?.set_headers ?? []) {
    const header = option.header;
    if (!header?.key) continue;
    out[header.key] = header.raw_value?.length
      ? Buffer.from(header.raw_value).toString('utf8')
      : (header.value ?? '');
  }
  return out;
}

function immediateStatus(answer: Answer): number | undefined {
  const immediate = answer.immediate_response;
  if (!immediate) return undefined;
  const code = immediate.status?.code;
  // Enum names as proto-loader decodes them (`ServiceUnavailable`): enough to tell a local answer apart.
  return typeof code === 'number' ? code : code === 'OK' ? 200 : 0;
}

export class ExtProcPlayer {
  private readonly method: ProcessMethod;
  private readonly client: grpc.Client;

  /** `upstreams`: Envoy cluster name → port of its upstream on 127.0.0.1. */
  constructor(
    extProcPort: number,
    private readonly upstreams: ReadonlyMap<string, number>,
  ) {
    this.method = loadExtProcDefinition().process;
    this.client = new grpc.Client(`127.0.0.1:${extProcPort}`, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Plays one POST of `body` to `path`; rejects on transport failures and protocol surprises. */
  async play(body: Buffer, path = '/v1/chat/completions'): Promise<PlayedRequest> {
    const started = performance.now();
    const call = this.client.makeBidiStreamRequest<BenchProcessingRequest, Answer>(
      this.method.path,
      this.method.requestSerialize,
      this.method.responseDeserialize,
    );
    const stream = new ExtProcCall(call);
    const local = (answer: Answer): PlayedRequest | undefined => {
      const status = immediateStatus(answer);
      if (status === undefined) return undefined;
      return {
        pool: undefined,
        status,
        firstChunkMs: undefined,
        totalMs: performance.now() - started,
        chunks: 0,
      };
    };
    try {
      const headersAnswer = await stream.send({
        request_headers: {
          headers: headerList({
            ':method': 'POST',
            ':path': path,
            ':authority': 'llm.example.com',
            ':scheme': 'http',
            'content-type': 'application/json',
            'content-length': String(body.length),
          }),
          end_of_stream: false,
        },
      });
      const early = local(headersAnswer);
      if (early) return early;
      const bodyAnswer = await stream.send({ request_body: { body, end_of_stream: true } });
      const answered = local(bodyAnswer);
      if (answered) return answered;
      const common = bodyAnswer.request_body?.response;
      const routerHeaders = setHeaders(common?.header_mutation);
      const forwarded = common?.body_mutation?.body ? Buffer.from(common.body_mutation.body) : body;
      const pool = routerHeaders['x-selected-pool'];
      const port = pool === undefined ? undefined : this.upstreams.get(pool);
      if (port === undefined) throw new Error(`no upstream for cluster ${pool}`);
      delete routerHeaders['content-length'];
      const upstream = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...routerHeaders },
        body: forwarded,
      });
      const responseHeaders = await stream.send({
        response_headers: {
          headers: headerList({
            ':status': String(upstream.status),
            'content-type': upstream.headers.get('content-type') ?? '',
          }),
          end_of_stream: false,
        },
      });
      const mode = responseHeaders.mode_override?.response_body_mode;
      const reader = upstream.body?.getReader();
      let firstChunkMs: number | undefined;
      let chunks = 0;
      if (mode !== 'NONE') {
        const streamed = mode === 'STREAMED';
        const buffered: Uint8Array[] = [];
        for (;;) {
          const next = await reader?.read();
          if (!next || next.done) break;
          if (!streamed) {
            buffered.push(next.value);
            continue;
          }
          await stream.send({ response_body: { body: next.value, end_of_stream: false } });
          firstChunkMs ??= performance.now() - started;
          chunks++;
        }
        await stream.send({
          response_body: { body: streamed ? new Uint8Array() : Buffer.concat(buffered), end_of_stream: true },
        });
        firstChunkMs ??= performance.now() - started;
      } else {
        // Envoy forwards the body without ext_proc: read it to its end.
        if (reader) while (!(await reader.read()).done) chunks++;
      }
      const totalMs = performance.now() - started;
      return { pool, status: upstream.status, firstChunkMs, totalMs, chunks };
    } finally {
      await stream.close();
    }
  }

  close(): void {
    this.client.close();
  }
}
