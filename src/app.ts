// The running router: admin HTTP server + policy store + ext_proc gRPC server; `close()` stops them in order.
import { AdminServer, type MetricsHandler } from './admin/admin-server.ts';
import { policyView } from './admin/policy-view.ts';
import { readinessReport } from './admin/readiness.ts';
import { OnnxSessionPool } from './ml/onnx-session-pool.ts';
import { PolicyStore } from './policy/policy-store.ts';
import { PolicyWatcher, type PolicyWatcherOptions } from './policy/policy-watcher.ts';
import { ExtProcServer } from './server/ext-proc-server.ts';
import type { Logger } from './telemetry/logger.ts';
import type { Telemetry } from './telemetry/telemetry.ts';

export interface AppOptions {
  readonly policyFile: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly shutdownGraceMs: number;
  readonly failOpen: boolean;
  readonly logger: Logger;
  /** Spans and metrics of streams and policy reloads; default noopTelemetry. The caller shuts it down. */
  readonly telemetry?: Telemetry;
  /** The admin HTTP server (/healthz, /readyz, /metrics, /policy) on its own port; omitted: none. */
  readonly admin?: AdminOptions;
  /** Worker threads for models too slow to run inline (see OnnxSessionPool); default 1. */
  readonly inferenceWorkers?: number;
  /** Reload when the policy file or directory changes on disk; false: only on SIGHUP / reload(). */
  readonly watch?: false | PolicyWatcherOptions;
}

export interface AdminOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Serves /metrics; omitted: /metrics answers 404. */
  readonly metrics?: MetricsHandler;
}

export interface App {
  readonly port: number;
  /** The admin server's port; undefined without `admin` options. */
  readonly adminPort: number | undefined;
  readonly policies: PolicyStore;
  readonly server: ExtProcServer;
  close(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<App> {
  // The admin server comes up first: /healthz answers while models load, /readyz says why it is not ready.
  const state: { policies?: PolicyStore; accepting: boolean; shuttingDown: boolean } = {
    accepting: false,
    shuttingDown: false,
  };
  const admin =
    options.admin &&
    new AdminServer({
      readiness: () =>
        readinessReport({
          policyCompiled: state.policies !== undefined,
          modelsWarm: state.policies !== undefined,
          grpcAccepting: state.accepting,
          shuttingDown: state.shuttingDown,
        }),
      policy: () => state.policies && policyView(state.policies),
      ...(options.admin.metrics && { metrics: options.admin.metrics }),
      logger: options.logger.child({ component: 'admin' }),
    });
  const adminPort =
    admin && options.admin ? await admin.listen(options.admin.host, options.admin.port) : undefined;
  // One pool for the process: every policy generation shares the ONNX sessions of the models it keeps.
  const sessionPool = new OnnxSessionPool(
    options.inferenceWorkers === undefined ? {} : { inferenceWorkers: options.inferenceWorkers },
  );
  let policies: PolicyStore;
  try {
    policies = await PolicyStore.open(options.policyFile, options.logger.child({ component: 'policy' }), {
      sessionPool,
      ...(options.telemetry && { telemetry: options.telemetry }),
    });
  } catch (error) {
    await sessionPool.close();
    await admin?.close();
    throw error;
  }
  state.policies = policies;
  const server = new ExtProcServer({
    leaseRouter: () => policies.lease(),
    maxBodyBytes: options.maxBodyBytes,
    failOpen: options.failOpen,
    shutdownGraceMs: options.shutdownGraceMs,
    logger: options.logger.child({ component: 'server' }),
    ...(options.telemetry && { telemetry: options.telemetry }),
  });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let port: number;
  try {
    port = await server.listen(`${host}:${options.port}`);
  } catch (error) {
    await server.close();
    policies.close();
    await sessionPool.close();
    await admin?.close();
    throw error;
  }
  state.accepting = true;
  let watcher: PolicyWatcher | undefined;
  if (options.watch !== false) {
    watcher = await PolicyWatcher.start(options.policyFile, () => policies.reload(), options.watch ?? {});
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    adminPort,
    policies,
    server,
    close: () => {
      state.shuttingDown = true;
      // The admin server outlives the gRPC drain so /readyz keeps answering 503 (not a refused connection).
      closing ??= Promise.resolve(watcher?.close())
        .then(() => server.close())
        .then(() => {
          state.accepting = false;
          policies.close();
        })
        .then(() => sessionPool.close())
        .then(() => admin?.close());
      return closing;
    },
  };
}
