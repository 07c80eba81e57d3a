// Composes the running router: policy store + ext_proc gRPC server; `close()` stops both in order.
import { OnnxSessionPool } from './ml/onnx-session-pool.ts';
import { PolicyStore } from './policy/policy-store.ts';
import { ExtProcServer } from './server/ext-proc-server.ts';
import type { Logger } from './telemetry/logger.ts';

export interface AppOptions {
  readonly policyFile: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly shutdownGraceMs: number;
  readonly failOpen: boolean;
  readonly logger: Logger;
}

export interface App {
  readonly port: number;
  readonly policies: PolicyStore;
  readonly server: ExtProcServer;
  close(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<App> {
  // One pool for the process: every policy generation shares the ONNX sessions of the models it keeps.
  const sessionPool = new OnnxSessionPool();
  let policies: PolicyStore;
  try {
    policies = await PolicyStore.open(options.policyFile, options.logger.child({ component: 'policy' }), {
      sessionPool,
    });
  } catch (error) {
    await sessionPool.close();
    throw error;
  }
  const server = new ExtProcServer({
    leaseRouter: () => policies.lease(),
    maxBodyBytes: options.maxBodyBytes,
    failOpen: options.failOpen,
    shutdownGraceMs: options.shutdownGraceMs,
    logger: options.logger.child({ component: 'server' }),
  });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await server.listen(`${host}:${options.port}`);
  let closing: Promise<void> | undefined;
  return {
    port,
    policies,
    server,
    close: () => {
      closing ??= server
        .close()
        .then(() => policies.close())
        .then(() => sessionPool.close());
      return closing;
    },
  };
}
