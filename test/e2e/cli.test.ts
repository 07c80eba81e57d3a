// The `semantic-router` command as a user runs it: validate, explain, and serve with graceful shutdown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createExtProcClient, ExtProcExchange, headerMap, setHeaders } from '../helpers/ext-proc-client.ts';
import { runCli, type ServingRouter, startRouterProcess } from '../helpers/router-process.ts';

const workDir = mkdtempSync(path.join(tmpdir(), 'router-cli-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('semantic-router validate', () => {
  it('exits 0 for a valid policy', async () => {
    const result = await runCli(['validate', 'policies/default.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('policies/default.yaml: valid (v1): 5 models, 4 pools, 7 decisions');
  });

  it('exits 1 listing every error with file, line, path and fix', async () => {
    const file = path.join(workDir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'version: v1',
        'default_model: small',
        'pools: [{ name: l4-pool, max_context_tokens: 8K }]',
        'models: [{ name: small, pools: [l4-pol] }]',
        'routing:',
        '  decisions:',
        '    - name: d',
        '      rules: { type: keyword, name: missing }',
        '      modelRefs: [{ model: small }]',
        '',
      ].join('\n'),
    );
    const result = await runCli(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: ${file}:4 at models[0].pools[0]: model 'small' names pool 'l4-pol'`,
    );
    expect(result.stderr).toContain("fix: did you mean 'l4-pool'?");
    expect(result.stderr).toContain(`${file}:8 at routing.decisions[0].rules.name`);
    expect(result.stderr).toContain('invalid: 2 error(s)');
  });

  it('exits 1 for a file that does not exist', async () => {
    const result = await runCli(['validate', path.join(workDir, 'nope.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('policy file does not exist');
  });

  it('exits 2 with usage for a wrong command line', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage:');
  });
});

describe('semantic-router explain', () => {
  it('explains a prompt for people', async () => {
    const result = await runCli([
      'explain',
      '--policy',
      'policies/default.yaml',
      'Fix this segfault in my rust code',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/keyword:code_terms\s+1\.000/);
    expect(result.stdout).toMatch(/=> code\s+priority\s+120\s+matched, confidence 1\.000/);
    expect(result.stdout).toContain('winner   code (confidence 1.000)');
    expect(result.stdout).toContain('pool     h100-pool');
    expect(result.stdout).toContain('set x-selected-pool: h100-pool');
  });

  it('explains an OpenAI request from stdin as JSON', async () => {
    const request = {
      model: 'auto',
      messages: [{ role: 'user', content: 'Confidential: salary review for Bob' }],
    };
    const result = await runCli(
      ['explain', '--policy', 'policies/default.yaml', '--json'],
      JSON.stringify(request),
    );
    expect(result.code).toBe(0);
    const explanation = JSON.parse(result.stdout);
    expect(explanation.winner.name).toBe('private_data');
    expect(explanation.pool.name).toBe('onprem-pool');
    expect(explanation.decisions).toHaveLength(7);
    expect(explanation.response.setHeaders).toContainEqual(['x-selected-model', 'private-chat']);
  });

  it('explains an Anthropic Messages request of 100 KB from stdin (--path), private data in its system prompt', async () => {
    // An explicit model: the enforced privacy decision applies all the same.
    const body = JSON.stringify({
      model: 'small-chat',
      max_tokens: 64,
      system: `Customer file: SSN 460-89-9847. ${'Background notes. '.repeat(6000)}`,
      messages: [{ role: 'user', content: 'Summarise the customer file' }],
    });
    expect(body.length).toBeGreaterThan(100_000);
    const result = await runCli(
      ['explain', '--policy', 'policies/default.yaml', '--json', '--path', '/v1/messages'],
      body,
    );
    expect(result.code).toBe(0);
    const explanation = JSON.parse(result.stdout);
    expect(explanation.winner).toMatchObject({ name: 'private_data', enforced: true });
    expect(explanation.pool.name).toBe('onprem-pool');
  });

  it('shows the immediate response for an unknown model', async () => {
    const result = await runCli(['explain', '--policy', 'policies/default.yaml', '--model', 'gpt-9', 'hi']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('immediate response 404');
  });
});

describe('semantic-router serve', () => {
  let router: ServingRouter | undefined;
  afterAll(async () => {
    await router?.stop('SIGKILL');
  });

  it('refuses to start on an invalid policy', async () => {
    const file = path.join(workDir, 'bad-serve.yaml');
    writeFileSync(file, 'version: v1\n');
    await expect(startRouterProcess(['--policy', file])).rejects.toThrow(/exited with 1/);
  });

  it('reports health, finishes in-flight streams on SIGTERM and exits 0', async () => {
    router = await startRouterProcess(['--policy', 'policies/default.yaml', '--shutdown-grace-ms', '5000']);
    const Health = grpc.makeGenericClientConstructor(healthService, 'Health');
    const health = new Health(`127.0.0.1:${router.port}`, grpc.credentials.createInsecure());
    const check = (name: string) =>
      new Promise<string>((resolve, reject) =>
        (
          health as unknown as {
            check: (r: unknown, cb: (e: Error | null, r: { status: string }) => void) => void;
          }
        ).check({ service: name }, (error, response) => (error ? reject(error) : resolve(response.status))),
      );
    expect(await check('')).toBe('SERVING');
    expect(await check('envoy.service.ext_proc.v3.ExternalProcessor')).toBe('SERVING');
    health.close();

    const client = createExtProcClient(router.port);
    const exchange = ExtProcExchange.open(client);
    await exchange.send({
      request_headers: { headers: headerMap({ ':method': 'POST', ':path': '/v1/chat/completions' }) },
    });
    router.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(router.child.exitCode).toBeNull();
    const body = Buffer.from(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'a python question' }] }),
    );
    const answer = await exchange.send({ request_body: { body, end_of_stream: true } });
    expect(setHeaders(answer.request_body?.response?.header_mutation)['x-selected-pool']).toBe('h100-pool');
    await exchange.close();
    client.close();
    expect(await router.exited).toBe(0);
    expect(router.logs()).toContain('"msg":"stopped"');
  });
});
