// Hot reload under load: 64 concurrent streams over loopback gRPC while the watched policy file is replaced 20
// times, valid and broken alternately. No request may fail, each must be answered by one whole generation (model,
// decision and system prompt of the same version), a broken version must never serve, and the last valid
// version must be in force at the end.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from '../../src/app.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import {
  createExtProcClient,
  mutatedBodyJson,
  runHttpExchange,
  setHeaders,
} from '../helpers/ext-proc-client.ts';

const CONCURRENCY = 64;
const REPLACEMENTS = 20;

/** Version `v` of the policy: every request matches decision `gen-v`, model `model-v`, system prompt `v`. */
function validPolicy(v: number): string {
  return `version: v1
default_model: model-${v}
pools:
  - { name: l4-pool, max_context_tokens: 32K }
models:
  - { name: model-${v}, provider_model_id: org/model-${v}, pools: [l4-pool] }
routing:
  signals:
    keywords:
      - { name: hello, keywords: [hello] }
  decisions:
    - name: gen-${v}
      rules: { type: keyword, name: hello }
      modelRefs: [{ model: model-${v} }]
      plugins:
        - { type: system_prompt, configuration: { system_prompt: "generation ${v}", mode: replace } }
`;
}

/** Broken alternately by YAML syntax and by a decision naming a model that does not exist. */
function brokenPolicy(v: number): string {
  return v % 4 === 1
    ? `${validPolicy(v)}\n  oops: [unclosed\n`
    : validPolicy(v).replace(`modelRefs: [{ model: model-${v} }]`, `modelRefs: [{ model: missing-${v} }]`);
}

let app: App;
let client: grpc.Client;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'reload-load-'));
  file = path.join(dir, 'policy.yaml');
  writeFileSync(file, validPolicy(0));
  app = await startApp({
    policyFile: file,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1 << 20,
    shutdownGraceMs: 2000,
    failOpen: false,
    logger: silentLogger,
    watch: { debounceMs: 30, pollMs: 200 },
  });
  client = createExtProcClient(app.port);
});

afterAll(async () => {
  client?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly version: number;
  readonly problem?: string;
}

async function request(i: number): Promise<Answer> {
  const result = await runHttpExchange(client, {
    body: { model: 'auto', messages: [{ role: 'user', content: `hello number ${i}` }] },
  });
  if (result.immediate)
    return { version: -1, problem: `immediate response ${JSON.stringify(result.immediate.status)}` };
  const response = result.requestBody?.request_body?.response;
  const model = setHeaders(response?.header_mutation)['x-selected-model'] ?? '';
  const system = mutatedBodyJson(response).messages[0]?.content ?? '';
  const decision = setHeaders(result.responseHeaders?.response_headers?.response?.header_mutation)[
    'x-router-decision'
  ];
  const version = Number(model.replace('model-', ''));
  const consistent = system === `generation ${version}` && decision === `gen-${version}`;
  return consistent
    ? { version }
    : { version, problem: `mixed generations: ${model} / ${system} / ${decision}` };
}

function replace(text: string, atomically: boolean): void {
  if (atomically) {
    const temp = path.join(dir, '.policy.yaml.tmp');
    writeFileSync(temp, text);
    renameSync(temp, file);
  } else {
    writeFileSync(file, text);
  }
}

async function waitForReloadOf(generationBefore: number, expectValid: boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  const reloads = () =>
    app.policies.live.generation !== generationBefore || app.policies.reloadError !== undefined;
  while (Date.now() < deadline) {
    if (expectValid ? app.policies.live.generation > generationBefore : reloads()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no reload after replacing the policy (generation ${generationBefore})`);
}

describe('policy reload under load', () => {
  it('serves every request from one whole valid generation while the policy changes 20 times', async () => {
    const answers: Answer[] = [];
    let done = false;
    let sent = 0;
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (!done) answers.push(await request(sent++));
    });
    const validVersions = new Set([0]);
    for (let v = 1; v <= REPLACEMENTS; v++) {
      const valid = v % 2 === 0;
      const before = app.policies.live.generation;
      replace(valid ? validPolicy(v) : brokenPolicy(v), v % 3 === 0);
      if (valid) validVersions.add(v);
      await waitForReloadOf(before, valid);
      // Let traffic run on this state for a moment before the next change.
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    done = true;
    await Promise.all(workers);

    expect(answers.filter((a) => a.problem !== undefined)).toEqual([]);
    const served = new Set(answers.map((a) => a.version));
    for (const version of served) expect(validVersions.has(version)).toBe(true);
    expect(served.size).toBeGreaterThanOrEqual(REPLACEMENTS / 2);
    expect(answers.length).toBeGreaterThan(CONCURRENCY * REPLACEMENTS);
    expect((await request(-1)).version).toBe(REPLACEMENTS);
    expect(app.policies.live.generation).toBe(1 + REPLACEMENTS / 2);
    // Replaced generations were closed once their streams finished.
    expect(app.policies.openGenerations).toBe(1);
  }, 60_000);
});
