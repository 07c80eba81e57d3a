// Rate limits over real loopback gRPC, the way Envoy drives the router: a tenant's concurrency slots are held
// while its streams are open and freed when a stream ends or is cancelled; over the limit → 429 with Retry-After.
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyDigest } from '../../src/rate-limits/rate-limit-keys.ts';
import {
  ExtProcExchange,
  headerMap,
  immediateJson,
  setHeaders,
  type WireProcessingResponse,
} from '../helpers/ext-proc-client.ts';
import { type LoopbackRouter, startLoopbackRouter } from '../helpers/loopback-router.ts';
import { rateLimitPolicy } from '../unit/rate-limits/rate-limit-fixture.ts';

let client: grpc.Client;
let router: LoopbackRouter | undefined;
const API_KEY = 'sk-integration-0123456789abcdef';

beforeAll(async () => {
  router = await startLoopbackRouter(
    rateLimitPolicy('    - { name: tenant-slots, key: tenant, max_concurrent: 2 }'),
  );
  ({ client } = router);
});

afterAll(async () => {
  await router?.close();
});

/** Opens a stream and sends one request's headers and body; the stream stays open (the answer is in flight). */
async function openRequest(): Promise<{ exchange: ExtProcExchange; answer: WireProcessingResponse }> {
  const exchange = ExtProcExchange.open(client);
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }));
  await exchange.send({
    request_headers: {
      headers: headerMap({
        ':method': 'POST',
        ':path': '/v1/chat/completions',
        'content-type': 'application/json',
        'x-tenant-id': 'acme',
        authorization: `Bearer ${API_KEY}`,
      }),
      end_of_stream: false,
    },
  });
  const answer = await exchange.send({ request_body: { body, end_of_stream: true } });
  return { exchange, answer };
}

/** Cancelling is seen by the server a moment later: try again until a slot is free (bounded, no timing asserted). */
async function admittedAfterRelease(): Promise<ExtProcExchange> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { exchange, answer } = await openRequest();
    if (!answer.immediate_response) return exchange;
    await exchange.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no slot was freed');
}

describe('rate limits over ext_proc', () => {
  it('holds a slot per open stream, answers 429 beyond max_concurrent, frees slots on end and cancel', async () => {
    const first = await openRequest();
    const second = await openRequest();
    expect(first.answer.immediate_response).toBeUndefined();
    expect(second.answer.immediate_response).toBeUndefined();
    const metadata = JSON.stringify((first.answer as { dynamic_metadata?: unknown }).dynamic_metadata);
    expect(metadata).toContain(apiKeyDigest(API_KEY));
    expect(metadata).toContain('acme');
    expect(metadata).not.toContain(API_KEY);

    const third = await openRequest();
    const refused = immediateJson(third.answer.immediate_response);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(setHeaders(third.answer.immediate_response?.headers)['retry-after']).toBe('1');
    await third.exchange.close();

    // The first answer ends normally: its slot is free at once.
    await first.exchange.send({
      response_headers: { headers: headerMap({ ':status': '200', 'content-type': 'application/json' }) },
    });
    await first.exchange.send({ response_body: { body: Buffer.from('{"ok":true}'), end_of_stream: true } });
    await first.exchange.close();
    const fourth = await openRequest();
    expect(fourth.answer.immediate_response).toBeUndefined();

    // The client goes away mid-answer: Envoy cancels the stream, and the slot comes back.
    second.exchange.call.on('error', () => {});
    second.exchange.call.cancel();
    await second.exchange.finished;
    const fifth = await admittedAfterRelease();
    await fourth.exchange.close();
    await fifth.close();
  });
});
