// 8 MiB request bodies over real loopback gRPC, the way Envoy sends BUFFERED bodies: while one stream carries a huge
// body (decoded off the event loop, scanned in slices, its answer encoded in slices), other streams keep being
// answered, and every answer is the one the router gives without the load.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalExtProcClientConstructor } from '../helpers/envoy-canonical.ts';
import {
  ExtProcExchange,
  headerMap,
  immediateJson,
  type WireProcessingResponse,
} from '../helpers/ext-proc-client.ts';
import { type LoopbackRouter, startLoopbackRouter } from '../helpers/loopback-router.ts';

const MAX_BODY_BYTES = 8 * 1024 * 1024;

// Every guard family the default policy has reads the whole body; the long-context model takes up to 4M tokens.
const POLICY = `version: v1
default_model: long
limits:
  max_scan_chars: 10M
  signal_budget_ms: { default: 60000 }
pools:
  - { name: long-pool, max_context_tokens: 4M }
  - { name: onprem-pool, max_context_tokens: 4M }
models:
  - { name: long, provider_model_id: meta-llama/Llama-4-Scout, pools: [long-pool], context_window: 4M }
  - { name: private, provider_model_id: mistralai/Mistral-Small, pools: [onprem-pool], context_window: 4M }
routing:
  signals:
    keywords:
      - { name: privacy_markers, operator: OR, keywords: [confidential, patient record] }
    structure:
      - name: ssn_like
        feature: { type: exists, source: { type: regex, pattern: "\\\\b\\\\d{3}-\\\\d{2}-\\\\d{4}\\\\b" } }
    pii:
      - { name: personal_data, threshold: 0.5, include_history: true }
  decisions:
    - name: private_data
      priority: 100
      rules:
        operator: OR
        conditions:
          - { type: keyword, name: privacy_markers }
          - { type: structure, name: ssn_like }
          - { type: pii, name: personal_data }
      modelRefs: [{ model: private }]
`;

let router: LoopbackRouter | undefined;
let client: grpc.Client;

beforeAll(async () => {
  router = await startLoopbackRouter(POLICY, { maxBodyBytes: MAX_BODY_BYTES });
  // Envoy takes answers as large as the bodies it sends (grpc-js clients stop at 4 MiB unless told).
  const Client = canonicalExtProcClientConstructor();
  client = new Client(`127.0.0.1:${router.app.port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 4 * MAX_BODY_BYTES,
  });
});

afterAll(async () => {
  client?.close();
  await router?.close();
});

const PATHS = { chat: '/v1/chat/completions', responses: '/v1/responses', messages: '/v1/messages' } as const;
type Api = keyof typeof PATHS;

function requestJson(api: Api, content: string, stream: boolean): Record<string, unknown> {
  switch (api) {
    case 'chat':
      return { model: 'auto', stream, messages: [{ role: 'user', content }] };
    case 'responses':
      return { model: 'auto', stream, input: content };
    case 'messages':
      return { model: 'auto', stream, max_tokens: 64, messages: [{ role: 'user', content }] };
  }
}

/** A body of exactly `bytes` bytes of prose (`tail` at its end). */
function largeBody(
  api: Api,
  bytes: number,
  stream: boolean,
  tail: string,
): { json: Record<string, unknown>; body: Buffer } {
  const overhead = Buffer.byteLength(JSON.stringify(requestJson(api, tail, stream)));
  const sentence = 'The committee reviewed the quarterly figures and agreed to revisit the plan next month. ';
  const content = `${sentence.repeat(Math.ceil(bytes / sentence.length)).slice(0, bytes - overhead)}${tail}`;
  const json = requestJson(api, content, stream);
  return { json, body: Buffer.from(JSON.stringify(json)) };
}

/** One request on its own stream: the answer to its body. */
async function send(api: Api, body: Buffer): Promise<WireProcessingResponse> {
  const exchange = ExtProcExchange.open(client);
  try {
    await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': PATHS[api],
          'content-type': 'application/json',
          'content-length': String(body.length),
        }),
        end_of_stream: false,
      },
    });
    return await exchange.send({ request_body: { body, end_of_stream: true } });
  } finally {
    await exchange.close();
  }
}

function headersOf(answer: WireProcessingResponse): Record<string, string> {
  return Object.fromEntries(
    (answer.request_body?.response?.header_mutation?.set_headers ?? []).map((h) => [
      h.header.key,
      (h.header.raw_value ?? Buffer.from(h.header.value ?? '')).toString('utf8'),
    ]),
  );
}

/** Small requests on `streams` streams, back to back, until `until` settles; each answer is kept. */
async function smallRequestsDuring(until: Promise<unknown>, streams: number) {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const answers: { model: string | undefined; decision: string | undefined; whileLargeRan: boolean }[] = [];
  const body = Buffer.from(JSON.stringify(requestJson('chat', 'Summarise the plan in one line.', false)));
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (!done) {
        const answer = await send('chat', body);
        const whileLargeRan = !done;
        const rewritten = answer.request_body?.response?.body_mutation?.body;
        answers.push({
          model: rewritten && (JSON.parse(rewritten.toString('utf8')) as { model?: string }).model,
          decision: headersOf(answer)['x-selected-model'],
          whileLargeRan,
        });
      }
    }),
  );
  return answers;
}

describe('8 MiB request bodies next to small requests', () => {
  it.each([
    ['chat', false],
    ['responses', true],
    ['messages', false],
  ] as const)(
    'routes an 8 MiB %s body (stream: %s) while other streams are answered',
    async (api, stream) => {
      const { json, body } = largeBody(api, MAX_BODY_BYTES, stream, ' Please summarise.');
      expect(body.length).toBe(MAX_BODY_BYTES);
      // Small requests first: the large one starts while they run.
      let started!: () => void;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      let large: Promise<WireProcessingResponse> | undefined;
      const small = smallRequestsDuring(
        running.then(() => {
          large = send(api, body);
          return large;
        }),
        2,
      );
      started();
      const answers = await small;
      const answer = await (large as Promise<WireProcessingResponse>);

      expect(answer.immediate_response).toBeUndefined();
      expect(headersOf(answer)['x-selected-model']).toBe('long');
      const rewritten = answer.request_body?.response?.body_mutation?.body as Buffer;
      const expected: Record<string, unknown> = { ...json, model: 'meta-llama/Llama-4-Scout' };
      if (stream && api !== 'responses') expected.stream_options = { include_usage: true };
      if (!stream) expect(rewritten.equals(Buffer.from(JSON.stringify(expected)))).toBe(true);
      else expect(JSON.parse(rewritten.toString('utf8'))).toEqual(expected);

      expect(answers.filter((a) => a.whileLargeRan).length).toBeGreaterThan(0);
      expect(answers.every((a) => a.model === 'meta-llama/Llama-4-Scout' && a.decision === 'long')).toBe(
        true,
      );
    },
  );

  it('sends an 8 MiB body whose last words are private data to the private model, as a small one', async () => {
    const { body } = largeBody('chat', MAX_BODY_BYTES, false, ' My SSN is 460-89-9847.');
    const answer = await send('chat', body);
    expect(headersOf(answer)['x-selected-model']).toBe('private');
  });

  it('answers a body over the limit with 413 and keeps serving', async () => {
    const { body } = largeBody('chat', MAX_BODY_BYTES + 1, false, '');
    const answer = await send('chat', body);
    expect(immediateJson(answer.immediate_response).status).toBe(413);
    const small = await send('chat', Buffer.from(JSON.stringify(requestJson('chat', 'hello', false))));
    expect(headersOf(small)['x-selected-model']).toBe('long');
  });
});
