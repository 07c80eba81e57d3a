// Shedding over real loopback gRPC, the way Envoy drives the router: requests whose answers are still streaming
// hold the pool's slots; once it is saturated a low-priority decision gets 503 with Retry-After, a high-priority
// one still passes, and a finished answer lets low priority through again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExtProcExchange,
  headerMap,
  immediateJson,
  setHeaders,
  type WireProcessingResponse,
} from '../helpers/ext-proc-client.ts';
import { type LoopbackRouter, startLoopbackRouter } from '../helpers/loopback-router.ts';

const POLICY = `version: v1
default_model: big
pools:
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: big, provider_model_id: Qwen/Qwen3-32B, pools: [h100-pool] }
routing:
  signals:
    keywords:
      - { name: urgent_terms, operator: OR, keywords: [outage] }
  decisions:
    - name: urgent
      priority: 100
      rules: { type: keyword, name: urgent_terms }
      modelRefs: [{ model: big }]
rate_limits:
  shedding:
    capacity: { h100-pool: 2 }
    saturation: 1
    min_priority: 50
    retry_after_seconds: 2
`;

let router: LoopbackRouter | undefined;

beforeAll(async () => {
  router = await startLoopbackRouter(POLICY);
});

afterAll(async () => {
  await router?.close();
});

/** One request's headers and body on a new stream, left open (its answer is in flight on the pool). */
async function openRequest(
  text: string,
): Promise<{ exchange: ExtProcExchange; answer: WireProcessingResponse }> {
  const exchange = ExtProcExchange.open((router as LoopbackRouter).client);
  await exchange.send({
    request_headers: {
      headers: headerMap({
        ':method': 'POST',
        ':path': '/v1/chat/completions',
        'content-type': 'application/json',
      }),
      end_of_stream: false,
    },
  });
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }));
  const answer = await exchange.send({ request_body: { body, end_of_stream: true } });
  return { exchange, answer };
}

async function finish(exchange: ExtProcExchange): Promise<void> {
  await exchange.send({
    response_headers: { headers: headerMap({ ':status': '200', 'content-type': 'application/json' }) },
  });
  await exchange.send({ response_body: { body: Buffer.from('{"ok":true}'), end_of_stream: true } });
  await exchange.close();
}

describe('shedding over ext_proc', () => {
  it('sheds the default route with 503 while the pool is full, lets the urgent decision through', async () => {
    const first = await openRequest('hello');
    const second = await openRequest('hello again');
    expect(first.answer.immediate_response).toBeUndefined();
    expect(second.answer.immediate_response).toBeUndefined();

    const shed = await openRequest('one more');
    const refused = immediateJson(shed.answer.immediate_response);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'pool_saturated', type: 'server_error' });
    expect(setHeaders(shed.answer.immediate_response?.headers)['retry-after']).toBe('2');
    await shed.exchange.close();

    const urgent = await openRequest('we have an outage');
    expect(urgent.answer.immediate_response).toBeUndefined();
    await finish(urgent.exchange);

    await finish(first.exchange);
    const after = await openRequest('and now');
    expect(after.answer.immediate_response).toBeUndefined();
    await finish(after.exchange);
    await finish(second.exchange);
  });
});
