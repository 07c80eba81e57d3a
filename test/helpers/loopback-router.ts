// A router serving a policy text on loopback (gRPC on a free port, admin on another when asked) and an ext_proc
// client for it, for integration tests; close() stops both and removes the policy's directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { type App, startApp } from '../../src/app.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import type { Telemetry } from '../../src/telemetry/noop-telemetry.ts';
import { createExtProcClient } from './ext-proc-client.ts';

export interface LoopbackRouter {
  readonly app: App;
  readonly client: grpc.Client;
  close(): Promise<void>;
}

export async function startLoopbackRouter(
  policyText: string,
  options: { readonly admin?: boolean; readonly maxBodyBytes?: number; readonly telemetry?: Telemetry } = {},
): Promise<LoopbackRouter> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'router-loopback-'));
  const policyFile = path.join(workDir, 'policy.yaml');
  writeFileSync(policyFile, policyText);
  const app = await startApp({
    policyFile,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    shutdownGraceMs: 2000,
    failOpen: false,
    logger: silentLogger,
    ...(options.admin && { admin: { host: '127.0.0.1', port: 0 } }),
    ...(options.telemetry && { telemetry: options.telemetry }),
  });
  const client = createExtProcClient(app.port);
  return {
    app,
    client,
    async close() {
      client.close();
      await app.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
