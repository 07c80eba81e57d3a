// A looper decision end to end: the real router over loopback gRPC (an Envoy-like client) with a real stub model
// server as the looper endpoint. The router calls the models itself and answers the client with the combined
// answer; the looper's own calls (loop-guard header) go straight to their model; failures answer a 502.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStubServer } from '../../src/stub/openai-stub.ts';
import {
  ExtProcExchange,
  headerMap,
  immediateJson,
  runHttpExchange,
  setHeaders,
} from '../helpers/ext-proc-client.ts';
import { type LoopbackRouter, startLoopbackRouter } from '../helpers/loopback-router.ts';

let stub: Server;
let stubUrl: string;
let client: grpc.Client;
let router: LoopbackRouter | undefined;

function policy(endpoint: string): string {
  return `version: v1
default_model: small
looper: { endpoint: ${endpoint}, timeout_ms: 20000, retries: 0, headers: { x-trace-source: looper } }
pools:
  - { name: p, max_context_tokens: 32K }
models:
  - { name: small, provider_model_id: small-id, pools: [p] }
  - { name: medium, provider_model_id: medium-id, pools: [p] }
  - { name: large, provider_model_id: large-id, pools: [p] }
routing:
  signals:
    keywords:
      - { name: deliberate, operator: OR, keywords: [debate both sides] }
      - { name: escalate, operator: OR, keywords: [escalate if unsure] }
  decisions:
    - name: escalation
      priority: 20
      rules: { operator: OR, conditions: [ { type: keyword, name: escalate } ] }
      modelRefs: [ { model: small }, { model: medium }, { model: large } ]
      algorithm:
        type: confidence
        confidence: { confidence_method: avg_logprob, threshold: 0.7, escalation_order: small_to_large }
    - name: deliberation
      priority: 10
      rules: { operator: OR, conditions: [ { type: keyword, name: deliberate } ] }
      modelRefs: [ { model: small }, { model: medium }, { model: large } ]
      algorithm:
        type: fusion
        fusion: { model: large, analysis_models: [small, medium], min_successful_responses: 2, on_error: skip }
`;
}

async function stubState(): Promise<{ running: number; served: Record<string, number> }> {
  const response = await fetch(`${stubUrl}/stub/state`);
  return (await response.json()) as { running: number; served: Record<string, number> };
}

async function stubFault(patch: Record<string, unknown> | undefined): Promise<void> {
  await fetch(`${stubUrl}/stub/fault`, {
    method: patch ? 'POST' : 'DELETE',
    ...(patch && { body: JSON.stringify(patch), headers: { 'content-type': 'application/json' } }),
  });
}

function served(state: { served: Record<string, number> }): number {
  return Object.values(state.served).reduce((sum, n) => sum + n, 0);
}

function chat(content: string, extra: Record<string, unknown> = {}) {
  return { model: 'auto', messages: [{ role: 'user', content }], ...extra };
}

beforeAll(async () => {
  // exp(-1.5) ≈ 0.22 and exp(-0.05) ≈ 0.95: small is unsure, medium sure.
  stub = createStubServer({ pool: 'looper-stub', modelLogprobs: { 'small-id': -1.5, 'medium-id': -0.05 } });
  stub.listen(0, '127.0.0.1');
  await once(stub, 'listening');
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  router = await startLoopbackRouter(policy(`${stubUrl}/v1/chat/completions`));
  ({ client } = router);
});

afterEach(() => stubFault(undefined));

afterAll(async () => {
  await router?.close();
  stub?.closeAllConnections();
  stub?.close();
});

describe('a fusion decision over ext_proc', () => {
  it('calls the analysis models and the judge, and answers the client with the judge’s answer and summed usage', async () => {
    const before = served(await stubState());
    const result = await runHttpExchange(client, {
      body: chat('Please debate both sides of tabs versus spaces'),
    });
    expect(served(await stubState()) - before).toBe(3);
    const answer = immediateJson(result.immediate);
    expect(answer.status).toBe(200);
    const body = answer.body as {
      model: string;
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(body.model).toBe('large');
    const content = body.choices[0]?.message.content ?? '';
    // The stub echoes (the start of) the last user message: the judge read the fusion prompt.
    expect(content).toMatch(
      /^\[looper-stub\] large-id answered: Independent experts answered the request above\./,
    );
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    const headers = setHeaders(result.immediate?.headers);
    expect(headers).toMatchObject({
      'x-selected-model': 'large',
      'x-vsr-looper-algorithm': 'fusion',
      'x-router-decision': 'deliberation',
    });
  });

  it('streams the answer as SSE chunks with usage and [DONE] when the client streams', async () => {
    const result = await runHttpExchange(client, {
      body: chat('Please debate both sides of vim versus emacs', { stream: true }),
    });
    const text = Buffer.from(result.immediate?.body ?? Buffer.alloc(0)).toString('utf8');
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.replace(/^data: /, '')));
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    const streamed = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    expect(streamed).toMatch(/^\[looper-stub\] large-id answered: /);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(setHeaders(result.immediate?.headers)['content-type']).toBe('text/event-stream');
  });

  it('answers 502 in the API error shape when too few analyses succeed', async () => {
    await stubFault({ errorRate: 1, errorStatus: 503 });
    const result = await runHttpExchange(client, { body: chat('Please debate both sides of cats and dogs') });
    const answer = immediateJson(result.immediate);
    expect(answer.status).toBe(502);
    expect(answer.body.error?.code).toBe('looper_failed');
    expect(answer.body.error?.message).toContain('fusion: 0 of 2 analysis calls succeeded');
    expect(answer.body.error?.message).not.toContain('cats and dogs');
  });

  it('sends a looper call (loop-guard header, provider model id) straight to its model, never looping it', async () => {
    const before = served(await stubState());
    const result = await runHttpExchange(client, {
      body: chat('Please debate both sides of tabs versus spaces', { model: 'medium-id' }),
      headers: { 'x-vsr-looper-request': 'true' },
    });
    expect(result.immediate).toBeUndefined();
    expect(setHeaders(result.requestBody?.request_body?.response?.header_mutation)['x-selected-model']).toBe(
      'medium',
    );
    const guarded = await runHttpExchange(client, {
      body: chat('Please debate both sides of tabs versus spaces'),
      headers: { 'x-vsr-looper-request': 'true' },
    });
    expect(guarded.immediate).toBeUndefined();
    expect(setHeaders(guarded.requestBody?.request_body?.response?.header_mutation)['x-selected-model']).toBe(
      'large',
    );
    expect(served(await stubState())).toBe(before);
  });

  it('a confidence decision escalates from the unsure small model to the sure medium one', async () => {
    const before = served(await stubState());
    const result = await runHttpExchange(client, {
      body: chat('Name three prime numbers, escalate if unsure'),
      headers: { 'x-router-debug': 'true' },
    });
    expect(served(await stubState()) - before).toBe(2);
    const answer = immediateJson(result.immediate);
    const body = answer.body as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toMatch(/^\[looper-stub\] medium-id answered: Name three prime/);
    const headers = setHeaders(result.immediate?.headers);
    expect(headers).toMatchObject({ 'x-selected-model': 'medium', 'x-vsr-looper-algorithm': 'confidence' });
    expect(headers['x-router-selection']).toMatch(/^confidence; medium reached 0\.95\d* ≥ 0\.7/);
  });

  it('stops its model calls when the client goes away', async () => {
    await stubFault({ errorRate: 1, mode: 'hang' });
    const exchange = ExtProcExchange.open(client);
    const body = Buffer.from(JSON.stringify(chat('Please debate both sides of lists versus tables')));
    await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          'content-type': 'application/json',
        }),
      },
    });
    exchange.call.write({ request_body: { body, end_of_stream: true } });
    for (let i = 0; i < 200 && (await stubState()).running < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await stubState()).running).toBe(2);
    exchange.call.cancel();
    await exchange.finished;
    let state = await stubState();
    for (let i = 0; i < 200 && state.running > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      state = await stubState();
    }
    expect(state.running).toBe(0);
    expect(state.served.aborted).toBeGreaterThanOrEqual(2);
  });
});
