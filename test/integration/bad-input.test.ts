// Bad input over the wire: each case gets a clear answer and leaves the server and other streams unharmed.
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
let workDir: string;
let policyFile: string;
const logLines: string[] = [];

const routedPool = async (content: string) => {
  const result = await runHttpExchange(client, {
    body: { model: 'auto', messages: [{ role: 'user', content }] },
  });
  return setHeaders(result.requestBody?.request_body?.response?.header_mutation)['x-selected-pool'];
};

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'router-bad-'));
  policyFile = path.join(workDir, 'policy.yaml');
  copyFileSync('policies/default.yaml', policyFile);
  app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 8 * 1024 * 1024,
    shutdownGraceMs: 2000,
    failOpen: false,
    logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
  });
  client = createExtProcClient(app.port);
});

afterAll(async () => {
  client?.close();
  await app?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('bad input', () => {
  it('fails only the stream that sends a malformed protobuf frame', async () => {
    const Raw = grpc.makeGenericClientConstructor(
      {
        Process: {
          path: '/envoy.service.ext_proc.v3.ExternalProcessor/Process',
          requestStream: true,
          responseStream: true,
          requestSerialize: (value: Buffer) => value,
          requestDeserialize: (value: Buffer) => value,
          responseSerialize: (value: Buffer) => value,
          responseDeserialize: (value: Buffer) => value,
        },
      },
      'RawExtProc',
    );
    const raw = new Raw(`127.0.0.1:${app.port}`, grpc.credentials.createInsecure());
    // A stream that is mid-request on a healthy connection while the garbage arrives.
    const healthy = ExtProcExchange.open(client);
    await healthy.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
    });

    const call = (raw as unknown as { Process: () => grpc.ClientDuplexStream<Buffer, Buffer> }).Process();
    const outcome = new Promise<grpc.ServiceError>((resolve) => {
      call.on('data', () => {});
      call.on('error', (error: grpc.ServiceError) => resolve(error));
      call.on('end', () => resolve({ code: grpc.status.OK } as grpc.ServiceError));
    });
    // Field 2 (request_headers) claims 100 bytes of a length-delimited message but only 2 follow.
    call.write(Buffer.from([0x12, 0x64, 0x0a, 0x00]));
    const error = await outcome;
    expect(error.code).not.toBe(grpc.status.OK);
    raw.close();

    const body = Buffer.from(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'solve for x: 2x=4' }] }),
    );
    const answer = await healthy.send({ request_body: { body, end_of_stream: true } });
    expect(setHeaders(answer.request_body?.response?.header_mutation)['x-selected-model']).toBe(
      'big-reasoner',
    );
    await healthy.close();
    expect(await routedPool('hello')).toBe('l4-pool');
  });

  it('routes a request with headers up to the limit, answers 431 to thousands', async () => {
    const headers = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-custom-${i}`, `value-${i}`]));
    const body = { model: 'auto', messages: [{ role: 'user', content: 'Write a rust function' }] };
    const within = await runHttpExchange(client, { headers: headers(90), body });
    expect(setHeaders(within.requestBody?.request_body?.response?.header_mutation)['x-selected-pool']).toBe(
      'h100-pool',
    );
    const beyond = await runHttpExchange(client, { headers: headers(3000), body });
    expect(immediateJson(beyond.immediate)).toMatchObject({
      status: 431,
      body: { error: { code: 'headers_too_large' } },
    });
  });

  it('routes a 6 MB prompt by size without crashing', async () => {
    const content = 'The quick brown fox jumps over the lazy dog. '.repeat(140_000);
    const result = await runHttpExchange(client, {
      body: { model: 'auto', messages: [{ role: 'user', content }] },
    });
    // ~6M characters is beyond limits.max_scan_chars: the privacy signals cannot vouch for it, so it stays private
    // (on_error: match), and no private pool holds ~1.5M tokens.
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ code: 'no_pool_available' });
    expect(body.error?.message).toMatch(/private-chat/);
    expect(await routedPool('hello')).toBe('l4-pool');
  });

  it('rejects a body over the router limit with 413', async () => {
    const content = 'x'.repeat(9 * 1024 * 1024);
    const result = await runHttpExchange(client, {
      body: { model: 'auto', messages: [{ role: 'user', content }] },
    });
    expect(immediateJson(result.immediate).status).toBe(413);
  });

  it('keeps serving the last good policy when the policy file vanishes', async () => {
    const before = app.policies.live.generation;
    unlinkSync(policyFile);
    const outcome = await app.policies.reload();
    expect(outcome.ok).toBe(false);
    expect(app.policies.reloadError?.message).toMatch(/does not exist/);
    expect(app.policies.live.generation).toBe(before);
    expect(logLines.some((l) => l.includes('policy reload failed, keeping the last good policy'))).toBe(true);
    expect(await routedPool('Write a python script')).toBe('h100-pool');
    copyFileSync('policies/default.yaml', policyFile);
    expect((await app.policies.reload()).ok).toBe(true);
    expect(app.policies.live.generation).toBe(before + 1);
  });

  it('never writes prompt text to the log', () => {
    expect(logLines.join('\n')).not.toMatch(/python|quick brown fox|solve for x/);
  });
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
