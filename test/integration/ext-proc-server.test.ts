// Drives the real router over loopback gRPC the way Envoy does, with a client built from Envoy's own protos.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import {
  createExtProcClient,
  ExtProcExchange,
  headerMap,
  immediateJson,
  mutatedBodyJson,
  runHttpExchange,
  setHeaders,
} from '../helpers/ext-proc-client.ts';

const MAX_BODY_BYTES = 64 * 1024;
let app: App;
let client: grpc.Client;
let workDir: string;

function chat(content: string, extra: Record<string, unknown> = {}) {
  return { model: 'auto', messages: [{ role: 'user', content }], ...extra };
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'router-it-'));
  const policyFile = path.join(workDir, 'policy.yaml');
  copyFileSync('policies/default.yaml', policyFile);
  app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: MAX_BODY_BYTES,
    shutdownGraceMs: 2000,
    failOpen: false,
    logger: silentLogger,
  });
  client = createExtProcClient(app.port);
});

afterAll(async () => {
  client?.close();
  await app?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('routing over ext_proc', () => {
  it('routes an auto request: selected model and pool, rewritten body, content-length, route cache cleared', async () => {
    const result = await runHttpExchange(client, {
      body: chat('Write a python function that reverses a linked list', { temperature: 0.2 }),
      headers: { 'x-selected-pool': 'onprem-pool', 'x-router-decision': 'spoofed' },
    });
    expect(result.requestHeaders.request_headers?.response?.header_mutation?.remove_headers).toEqual(
      expect.arrayContaining(['x-selected-pool', 'x-router-decision']),
    );
    const response = result.requestBody?.request_body?.response;
    const headers = setHeaders(response?.header_mutation);
    expect(headers['x-selected-model']).toBe('coder');
    expect(headers['x-selected-pool']).toBe('h100-pool');
    const body = response?.body_mutation?.body as Buffer;
    expect(JSON.parse(body.toString())).toEqual({
      model: 'Qwen/Qwen3-Coder-30B-A3B-Instruct',
      messages: [{ role: 'user', content: 'Write a python function that reverses a linked list' }],
      temperature: 0.2,
    });
    expect(headers['content-length']).toBe(String(body.length));
    expect(response?.clear_route_cache).toBe(true);
    // Header values are written as raw_value only: Envoy rejects mutations that set both.
    for (const option of response?.header_mutation?.set_headers ?? [])
      expect(option.header.value ?? '').toBe('');
    const diagnostics = setHeaders(result.responseHeaders?.response_headers?.response?.header_mutation);
    expect(diagnostics).toMatchObject({
      'x-router-decision': 'code',
      'x-router-model': 'coder',
      'x-router-pool': 'h100-pool',
      'x-router-response-path': 'upstream',
    });
    expect(diagnostics['x-router-signals']).toBeUndefined();
  });

  it('reads header values sent in `value` by older Envoys', async () => {
    const exchange = ExtProcExchange.open(client);
    const headers = await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'GET', ':path': '/v1/models' }, false) },
    });
    expect(immediateJson(headers.immediate_response).status).toBe(200);
    await exchange.close();
  });

  it('routes a request naming a concrete model to that model, skipping decisions, still choosing a pool', async () => {
    const result = await runHttpExchange(client, { body: { ...chat('Prove Fermat'), model: 'small-chat' } });
    const headers = setHeaders(result.requestBody?.request_body?.response?.header_mutation);
    expect(headers).toMatchObject({ 'x-selected-model': 'small-chat', 'x-selected-pool': 'l4-pool' });
    const diagnostics = setHeaders(result.responseHeaders?.response_headers?.response?.header_mutation);
    expect(diagnostics['x-router-decision']).toBe('explicit_model');
  });

  it('adds matched signals to the client response when x-router-debug is set', async () => {
    const result = await runHttpExchange(client, {
      body: chat('What is the integral of x squared?'),
      headers: { 'x-router-debug': 'true' },
    });
    const diagnostics = setHeaders(result.responseHeaders?.response_headers?.response?.header_mutation);
    expect(diagnostics['x-router-signals']).toContain('keyword:math_terms=1.000');
  });

  it('answers 404 in OpenAI error shape for an unknown model', async () => {
    const result = await runHttpExchange(client, { body: { ...chat('hi'), model: 'gpt-9' } });
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
    expect(body.error?.message).toContain('gpt-9');
  });

  it.each([
    ['malformed JSON', Buffer.from('{"model": "auto", "messages": ['), 'invalid_json'],
    ['a non-UTF-8 body', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_encoding'],
    ['a body without messages', Buffer.from('{"model":"auto"}'), 'missing_messages'],
    ['a JSON array body', Buffer.from('[1,2,3]'), 'invalid_json'],
  ])('answers 400 for %s', async (_name, rawBody, code) => {
    const result = await runHttpExchange(client, { rawBody });
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(400);
    expect(body.error?.code).toBe(code);
  });

  it('answers 503 with a clear message when no pool of the model fits the request', async () => {
    // ~15K prompt tokens plus 60K requested completion tokens exceed the on-prem pool's 64K window.
    const huge = 'lorem ipsum '.repeat(5000);
    const result = await runHttpExchange(client, {
      body: { ...chat(`confidential ${huge}`), max_tokens: 60000 },
    });
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(503);
    expect(body.error?.code).toBe('no_pool_available');
    expect(body.error?.message).toMatch(/private-chat/);
  });

  it('answers GET /v1/models locally with the auto names and every model', async () => {
    const result = await runHttpExchange(client, { method: 'GET', path: '/v1/models' });
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(200);
    expect((body.data as { id: string }[]).map((m) => m.id)).toEqual([
      'auto',
      'small-chat',
      'coder',
      'big-reasoner',
      'long-context',
      'private-chat',
    ]);
  });

  it('lets non-LLM paths through without their body', async () => {
    const result = await runHttpExchange(client, {
      method: 'POST',
      path: '/internal/cache/purge',
      body: { input: 'x' },
    });
    expect(result.requestHeaders.mode_override).toMatchObject({
      request_body_mode: 'NONE',
      response_body_mode: 'NONE',
    });
    expect(result.requestBody).toBeUndefined();
  });

  it('switches the response body to STREAMED for server-sent events', async () => {
    const result = await runHttpExchange(client, {
      body: chat('hello there', { stream: true }),
      responseContentType: 'text/event-stream; charset=utf-8',
    });
    expect(result.responseHeaders?.mode_override?.response_body_mode).toBe('STREAMED');
    const json = await runHttpExchange(client, { body: chat('hello there') });
    expect(json.responseHeaders?.mode_override).toBeFalsy();
  });

  it('accumulates STREAMED request body chunks and answers 413 past the limit', async () => {
    const exchange = ExtProcExchange.open(client);
    await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
    });
    const chunk = Buffer.alloc(20 * 1024, 0x61);
    const first = await exchange.send({ request_body: { body: chunk, end_of_stream: false } });
    expect(first.request_body?.response?.body_mutation?.clear_body).toBe(true);
    await exchange.send({ request_body: { body: chunk, end_of_stream: false } });
    await exchange.send({ request_body: { body: chunk, end_of_stream: false } });
    const over = await exchange.send({ request_body: { body: chunk, end_of_stream: false } });
    const { status, body } = immediateJson(over.immediate_response);
    expect(status).toBe(413);
    expect(body.error?.code).toBe('request_too_large');
    await exchange.close();
  });

  it('reassembles a STREAMED body into one rewritten body', async () => {
    const exchange = ExtProcExchange.open(client);
    await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
    });
    const whole = Buffer.from(JSON.stringify(chat('Prove that the derivative of x^2 is 2x')));
    await exchange.send({ request_body: { body: whole.subarray(0, 10), end_of_stream: false } });
    const last = await exchange.send({ request_body: { body: whole.subarray(10), end_of_stream: true } });
    expect(setHeaders(last.request_body?.response?.header_mutation)['x-selected-model']).toBe('big-reasoner');
    const rewritten = mutatedBodyJson(last.request_body?.response);
    expect(rewritten.chat_template_kwargs).toEqual({ enable_thinking: true });
    await exchange.close();
  });

  it('frees a stream the client cancels mid-request', async () => {
    const exchange = ExtProcExchange.open(client);
    await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
    });
    await exchange.send({ request_body: { body: Buffer.from('{"model":'), end_of_stream: false } });
    expect(app.server.activeStreams).toBeGreaterThan(0);
    exchange.call.cancel();
    await exchange.finished;
    await expect.poll(() => app.server.activeStreams, { timeout: 2000 }).toBe(0);
  });

  it('gives each of 200 concurrent streams its own correct answer', async () => {
    const cases = [
      { prompt: 'Refactor this typescript function to be pure', pool: 'h100-pool', model: 'coder' },
      { prompt: 'What is the probability of two sixes?', pool: 'h100-pool', model: 'big-reasoner' },
      { prompt: 'This is confidential, summarise it', pool: 'onprem-pool', model: 'private-chat' },
      { prompt: 'Tell me a joke about cats', pool: 'l4-pool', model: 'small-chat' },
    ];
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const expected = cases[i % cases.length] as (typeof cases)[number];
        const result = await runHttpExchange(client, { body: chat(`${expected.prompt} #${i}`) });
        const response = result.requestBody?.request_body?.response;
        const body = mutatedBodyJson(response);
        return {
          expected,
          headers: setHeaders(response?.header_mutation),
          content: body.messages[0]?.content,
          i,
        };
      }),
    );
    for (const { expected, headers, content, i } of results) {
      expect(headers['x-selected-model']).toBe(expected.model);
      expect(headers['x-selected-pool']).toBe(expected.pool);
      expect(content).toBe(`${expected.prompt} #${i}`);
    }
    await expect.poll(() => app.server.activeStreams).toBe(0);
  });
});
