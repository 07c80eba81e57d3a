// Routing profiles over loopback gRPC, as Envoy drives them: GET /v1/models lists the virtual model names, and a
// request naming one is routed by that profile's decisions (x-selected-model, rewritten body, decision header).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import {
  createExtProcClient,
  immediateJson,
  mutatedBodyJson,
  runHttpExchange,
  setHeaders,
} from '../helpers/ext-proc-client.ts';

const POLICY = `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool] }
  - { name: large, provider_model_id: Qwen/Qwen3-235B, pools: [h100-pool] }
routing:
  signals:
    keywords: [{ name: code, operator: OR, keywords: [python] }]
  decisions:
    - { name: code, rules: { type: keyword, name: code }, modelRefs: [{ model: large }] }
entrypoints:
  - { model_names: [acme/lite], recipe: cost }
recipes:
  - name: cost
    routing:
      signals:
        keywords: [{ name: code, operator: OR, keywords: [python] }]
      decisions:
        - { name: cheap-code, rules: { type: keyword, name: code }, modelRefs: [{ model: small }] }
`;

let app: App;
let client: grpc.Client;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'router-profiles-'));
  const policyFile = path.join(workDir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 64 * 1024,
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

function chat(model: string, content: string) {
  return { model, messages: [{ role: 'user', content }] };
}

describe('routing profiles over ext_proc', () => {
  it('lists the virtual model name in GET /v1/models', async () => {
    const result = await runHttpExchange(client, { method: 'GET', path: '/v1/models' });
    const { status, body } = immediateJson(result.immediate);
    expect(status).toBe(200);
    expect((body.data as { id: string }[]).map((m) => m.id)).toEqual(['auto', 'acme/lite', 'small', 'large']);
  });

  it.each([
    ['auto', 'code', 'large', 'Qwen/Qwen3-235B', 'h100-pool'],
    ['acme/lite', 'cheap-code', 'small', 'Qwen/Qwen3-8B', 'l4-pool'],
  ])('routes %s by its own decisions', async (model, decision, selected, providerId, pool) => {
    const result = await runHttpExchange(client, { body: chat(model, 'write python to parse a CSV file') });
    const response = result.requestBody?.request_body?.response;
    expect(setHeaders(response?.header_mutation)).toMatchObject({
      'x-selected-model': selected,
      'x-selected-pool': pool,
    });
    expect(mutatedBodyJson(response)?.model).toBe(providerId);
    const diagnostics = setHeaders(result.responseHeaders?.response_headers?.response?.header_mutation);
    expect(diagnostics['x-router-decision']).toBe(decision);
  });
});
