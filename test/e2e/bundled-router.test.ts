// The router as `npm start` and the container run it: bundled by scripts/bundle.mjs (here from the sources, so
// the test needs no `npm run build`). It must start on the default policy, route over real gRPC with Envoy's
// protos, and serve its admin pages, all of which read files found relative to the modules' own locations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleRouter } from '../../scripts/bundle.mjs';
import { METRIC } from '../../src/telemetry/metric-names.ts';
import { createExtProcClient, runHttpExchange, setHeaders } from '../helpers/ext-proc-client.ts';
import { type ServingRouter, startRouterProcess } from '../helpers/router-process.ts';

let outdir: string;
let router: ServingRouter | undefined;
let client: grpc.Client | undefined;
let adminBase: string;

async function route(content: string): Promise<string | undefined> {
  const result = await runHttpExchange(client as grpc.Client, {
    body: { model: 'auto', messages: [{ role: 'user', content }] },
  });
  return setHeaders(result.requestBody?.request_body?.response?.header_mutation)['x-selected-model'];
}

describe('the bundled router', () => {
  beforeAll(async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'router-bundled-'));
    const { entry } = await bundleRouter({ root: process.cwd(), entry: 'src/cli/main.ts', outdir });
    router = await startRouterProcess(['--policy', 'policies/default.yaml', '--admin-port', '0'], [entry]);
    const match = /"adminPort":(\d+)/.exec(router.logs());
    if (!match) throw new Error(`router did not log its admin port:\n${router.logs()}`);
    adminBase = `http://127.0.0.1:${match[1]}`;
    client = createExtProcClient(router.port);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await router?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('routes by the default policy', async () => {
    expect(await route('Fix this python function: def f(x): return x+')).toBe('coder');
    expect(await route('What is a good name for a cat?')).toBe('small-chat');
  });

  it('serves its health and metrics pages', async () => {
    expect((await fetch(`${adminBase}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${adminBase}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^${METRIC.requests}\\{[^}]*\\} [1-9]`, 'm'));
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await router?.stop('SIGTERM')).toBe(0);
    router = undefined;
  });
});
