// An Envoy-like ext_proc client built from Envoy's canonical protos: drives one HTTP request per stream.
import * as grpc from '@grpc/grpc-js';
import {
  CANONICAL_EXT_PROC_PROTO,
  canonicalExtProcClientConstructor,
  loadCanonicalRoot,
} from './envoy-canonical.ts';

export interface WireHeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer;
}

export interface WireHeaderMutation {
  set_headers?: { header: WireHeaderValue; append_action?: string }[];
  remove_headers?: string[];
}

export interface WireCommonResponse {
  status?: string;
  header_mutation?: WireHeaderMutation;
  body_mutation?: { body?: Buffer; clear_body?: boolean; mutation?: string };
  clear_route_cache?: boolean;
}

export interface WireProcessingResponse {
  response?: string;
  request_headers?: { response?: WireCommonResponse };
  request_body?: { response?: WireCommonResponse };
  response_headers?: { response?: WireCommonResponse };
  response_body?: { response?: WireCommonResponse };
  immediate_response?: {
    status?: { code?: string | number };
    headers?: WireHeaderMutation;
    body?: Buffer;
    details?: string;
  };
  mode_override?: { request_body_mode?: string; response_body_mode?: string };
}

type Duplex = grpc.ClientDuplexStream<unknown, WireProcessingResponse>;

export function createExtProcClient(port: number): grpc.Client {
  const Client = canonicalExtProcClientConstructor();
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** Header list as Envoy sends it: values in `raw_value` bytes (or `value` for older Envoy). */
export function headerMap(headers: Record<string, string>, useRawValue = true) {
  return {
    headers: Object.entries(headers).map(([key, value]) =>
      useRawValue ? { key, raw_value: Buffer.from(value, 'utf8') } : { key, value },
    ),
  };
}

export class ExtProcExchange {
  private readonly received: WireProcessingResponse[] = [];
  private readonly waiters: ((r: WireProcessingResponse | Error) => void)[] = [];
  private ended = false;
  private failure: Error | undefined;
  readonly finished: Promise<void>;

  constructor(readonly call: Duplex) {
    call.on('data', (message: WireProcessingResponse) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.received.push(message);
    });
    this.finished = new Promise((resolve) => {
      const finish = (error?: Error) => {
        this.ended = true;
        if (error) this.failure = error;
        for (const waiter of this.waiters.splice(0)) waiter(error ?? new Error('stream ended'));
        resolve();
      };
      call.on('end', () => finish());
      call.on('error', (error: Error) => finish(error));
    });
  }

  static open(client: grpc.Client): ExtProcExchange {
    const process = (client as unknown as { Process: () => Duplex }).Process.bind(client);
    return new ExtProcExchange(process());
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** Sends one ProcessingRequest and waits for its answer. */
  async send(message: Record<string, unknown>): Promise<WireProcessingResponse> {
    const answer = this.next();
    this.call.write(message);
    return answer;
  }

  next(): Promise<WireProcessingResponse> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.failure ?? new Error('stream ended'));
    return new Promise((resolve, reject) => {
      this.waiters.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
    });
  }

  async close(): Promise<void> {
    this.call.end();
    await this.finished;
  }
}

export function headerValue(header: WireHeaderValue): string {
  return header.raw_value && header.raw_value.length > 0
    ? header.raw_value.toString('utf8')
    : (header.value ?? '');
}

export function setHeaders(mutation: WireHeaderMutation | undefined): Record<string, string> {
  return Object.fromEntries((mutation?.set_headers ?? []).map((o) => [o.header.key, headerValue(o.header)]));
}

export interface HttpExchangeInput {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: Buffer;
  readonly responseContentType?: string;
}

export interface HttpExchangeResult {
  readonly requestHeaders: WireProcessingResponse;
  readonly requestBody?: WireProcessingResponse;
  readonly responseHeaders?: WireProcessingResponse;
  /** Set when the router answered the client itself. */
  readonly immediate?: NonNullable<WireProcessingResponse['immediate_response']>;
}

/** Runs a whole request the way Envoy does with BUFFERED bodies, stopping at an immediate response. */
export async function runHttpExchange(
  client: grpc.Client,
  input: HttpExchangeInput,
): Promise<HttpExchangeResult> {
  const exchange = ExtProcExchange.open(client);
  try {
    const body =
      input.rawBody ?? (input.body === undefined ? undefined : Buffer.from(JSON.stringify(input.body)));
    const requestHeaders = await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': input.method ?? 'POST',
          ':path': input.path ?? '/v1/chat/completions',
          ':authority': 'router.test',
          'content-type': 'application/json',
          ...(body && { 'content-length': String(body.length) }),
          ...input.headers,
        }),
        end_of_stream: body === undefined,
      },
    });
    if (requestHeaders.immediate_response)
      return { requestHeaders, immediate: requestHeaders.immediate_response };
    if (body === undefined || requestHeaders.mode_override?.request_body_mode === 'NONE')
      return { requestHeaders };
    const requestBody = await exchange.send({ request_body: { body, end_of_stream: true } });
    if (requestBody.immediate_response)
      return { requestHeaders, requestBody, immediate: requestBody.immediate_response };
    const responseHeaders = await exchange.send({
      response_headers: {
        headers: headerMap({
          ':status': '200',
          'content-type': input.responseContentType ?? 'application/json',
        }),
      },
    });
    await exchange.send({ response_body: { body: Buffer.from('{"ok":true}'), end_of_stream: true } });
    return { requestHeaders, requestBody, responseHeaders };
  } finally {
    await exchange.close();
  }
}

let statusCodes: Record<string, number> | undefined;

export function immediateJson(immediate: HttpExchangeResult['immediate']): {
  status: number;
  body: { error?: { message: string; type: string; code: string } } & Record<string, unknown>;
} {
  const code = immediate?.status?.code;
  statusCodes ??= loadCanonicalRoot([CANONICAL_EXT_PROC_PROTO]).lookupEnum('envoy.type.v3.StatusCode').values;
  return {
    status: typeof code === 'number' ? code : (statusCodes[code ?? ''] ?? Number.NaN),
    body: JSON.parse((immediate?.body ?? Buffer.from('null')).toString('utf8')),
  };
}

/** The JSON body a CommonResponse replaces the request body with; fails the test when there is none. */
export function mutatedBodyJson(response: WireCommonResponse | undefined): Record<string, unknown> & {
  messages: { content: string }[];
} {
  const body = response?.body_mutation?.body;
  if (!body) throw new Error('expected a body mutation');
  return JSON.parse(body.toString('utf8'));
}
