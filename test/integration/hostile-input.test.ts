// Hostile input over real gRPC with Envoy's own protos: each case gets a prompt, clear answer (or a clean stream
// end) and leaves the server and the other streams unharmed.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import {
  createExtProcClient,
  ExtProcExchange,
  headerMap,
  immediateJson,
  runHttpExchange,
  setHeaders,
} from '../helpers/ext-proc-client.ts';

let app: App;
let client: grpc.Client;
const logLines: string[] = [];

beforeAll(async () => {
  app = await startApp({
    policyFile: 'policies/default.yaml',
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 8 * 1024 * 1024,
    shutdownGraceMs: 2000,
    failOpen: false,
    watch: false,
    logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
  });
  client = createExtProcClient(app.port);
});

afterAll(async () => {
  client?.close();
  await app?.close();
});

/** A healthy request still routes: the server survived what came before. */
async function stillRoutes(): Promise<void> {
  const result = await runHttpExchange(client, {
    body: { model: 'auto', messages: [{ role: 'user', content: 'Fix this python stack trace' }] },
  });
  expect(setHeaders(result.requestBody?.request_body?.response?.header_mutation)['x-selected-pool']).toBe(
    'h100-pool',
  );
}

function nested(depth: number): Buffer {
  return Buffer.from(
    `{"model":"auto","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  );
}

describe('hostile input', () => {
  it.each([5_000, 100_000])(
    'answers JSON nested %i levels deep with 400 json_too_deep naming the limit',
    async (depth) => {
      const result = await runHttpExchange(client, { rawBody: nested(depth) });
      const { status, body } = immediateJson(result.immediate);
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'json_too_deep' });
      expect(body.error?.message).toMatch(/64 levels/);
      await stillRoutes();
    },
  );

  it('ends a stream whose ProcessingRequest sets no phase with INVALID_ARGUMENT at once, and counts it', async () => {
    const exchange = ExtProcExchange.open(client);
    exchange.call.write({ observability_mode: false });
    await exchange.finished;
    expect((exchange.error as grpc.ServiceError | undefined)?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(logLines.some((line) => line.includes('without a known request case'))).toBe(true);
    await stillRoutes();
  });

  it('answers 431 to 100,000 request headers without reading them all', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) headers[`x-h${i}`] = 'v';
    const result = await runHttpExchange(client, {
      headers,
      body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
    });
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(431);
    expect(body.error).toMatchObject({ code: 'headers_too_large' });
    await stillRoutes();
  });

  it('answers 431 to one huge header', async () => {
    const result = await runHttpExchange(client, {
      headers: { 'x-big': 'a'.repeat(70 * 1024) },
      body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(immediateJson(result.immediate).status).toBe(431);
  });

  it('routes an encoded chat completions path instead of passing it through', async () => {
    const result = await runHttpExchange(client, {
      path: '/v1/chat%2Fcompletions',
      body: { model: 'auto', messages: [{ role: 'user', content: 'My SSN is 460-89-9847' }] },
    });
    expect(setHeaders(result.requestBody?.request_body?.response?.header_mutation)['x-selected-pool']).toBe(
      'onprem-pool',
    );
  });

  it('takes identity only from the metadata Envoy forwards, never from client headers', async () => {
    const tigers = { model: 'auto', messages: [{ role: 'user', content: 'Tell me about tigers' }] };
    const spoofed = await runHttpExchange(client, {
      headers: { 'x-authz-user-id': 'mallory', 'x-authz-user-groups': 'research' },
      body: tigers,
    });
    expect(setHeaders(spoofed.requestBody?.request_body?.response?.header_mutation)['x-selected-model']).toBe(
      'small-chat',
    );
    expect(spoofed.requestHeaders.request_headers?.response?.header_mutation?.remove_headers).toEqual(
      expect.arrayContaining(['x-authz-user-id', 'x-authz-user-groups']),
    );

    const exchange = ExtProcExchange.open(client);
    // protobufjs spells the well-known Struct/Value fields in camelCase (its own definitions of them).
    const claims = {
      filter_metadata: {
        'envoy.filters.http.jwt_authn': {
          fields: {
            jwt_payload: {
              structValue: {
                fields: {
                  sub: { stringValue: 'u1' },
                  groups: { listValue: { values: [{ stringValue: 'research' }] } },
                },
              },
            },
          },
        },
      },
    };
    await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
      metadata_context: claims,
    });
    const answer = await exchange.send({
      request_body: { body: Buffer.from(JSON.stringify(tigers)), end_of_stream: true },
    });
    await exchange.close();
    expect(setHeaders(answer.request_body?.response?.header_mutation)['x-selected-model']).toBe(
      'big-reasoner',
    );
  });
});
