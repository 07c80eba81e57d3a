// The running router: admin HTTP server + policy store + ext_proc gRPC server; `close()` stops them in order.
import { AdminServer, type MetricsHandler } from './admin/admin-server.ts';
import { policyView } from './admin/policy-view.ts';
import { readinessReport } from './admin/readiness.ts';
import { OnnxSessionPool } from './ml/onnx-session-pool.ts';
import { defaultRouterDeps } from './pipeline.ts';
import { REPLAY_RECORDS } from './plugins/replay-store.ts';
import { observeResponseCache } from './plugins/response-cache/cache-metrics.ts';
import { RESPONSE_CACHE } from './plugins/response-cache/response-cache-registry.ts';
import { PolicyStore } from './policy/policy-store.ts';
import { PolicyWatcher, type PolicyWatcherOptions } from './policy/policy-watcher.ts';
import { PoolRuntime } from './pools/pool-runtime.ts';
import { OffLoopBodyDecoder } from './request/off-loop-body-decoder.ts';
import { ExtProcServer } from './server/ext-proc-server.ts';
import { StoreHolder } from './state/store-holder.ts';
import type { Logger } from './telemetry/logger.ts';
import { ERROR_REASON } from './telemetry/metric-names.ts';
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
  /** Load policies whose unsupported guardrails would be errors, with a warning at every load (--allow-unsupported). */
  readonly allowUnsupported?: boolean;
}

export interface AdminOptions {
  /** The CLI binds 127.0.0.1 unless told otherwise: /policy and /metrics are for operators, not for clients. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Serves /metrics; omitted: /metrics answers 404. */
  readonly metrics?: MetricsHandler;
  /** Show the text of system prompts on /policy (default: only their length). */
  readonly showPrompts?: boolean;
}

/** Which of the router's servers could not bind its address. */
export type ServerName = 'admin server' | 'gRPC ext_proc server';

/** A server could not listen; the message names it, e.g. `admin server: port 9190 on 127.0.0.1 is in use`. */
export class ListenError extends Error {
  /** The system error code (EADDRINUSE, EACCES, ...) when there is one. */
  readonly systemCode: string | undefined;

  constructor(
    readonly server: ServerName,
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(`${server}: ${listenProblem(host, port, cause)}`, { cause });
    this.name = 'ListenError';
    this.systemCode = /\b(E[A-Z]{3,})\b/.exec(causeText(cause))?.[1];
  }
}

// grpc-js reports bind failures as a plain Error whose message quotes the system error
// ("No address added out of total 1 resolved errors: [listen EADDRINUSE: ...]"); node:net sets `code`.
function causeText(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return `${typeof code === 'string' ? code : ''} ${cause instanceof Error ? cause.message : String(cause)}`;
}

function listenProblem(host: string, port: number, cause: unknown): string {
  const text = causeText(cause);
  if (text.includes('EADDRINUSE')) return `port ${port} on ${host} is in use`;
  if (text.includes('EACCES')) return `no permission to listen on port ${port} on ${host}`;
  if (text.includes('EADDRNOTAVAIL')) return `${host} is not an address of this machine (port ${port})`;
  return `cannot listen on port ${port} on ${host}: ${cause instanceof Error ? cause.message : String(cause)}`;
}

export interface App {
  readonly port: number;
  /** The admin server's port; undefined without `admin` options. */
  readonly adminPort: number | undefined;
  readonly policies: PolicyStore;
  readonly server: ExtProcServer;
  /** Live pool state (in flight, latency, breakers, scraped load), shared by every policy generation. */
  readonly pools: PoolRuntime;
  /** The state replicas share (policy `state_store`). */
  readonly store: StoreHolder;
  close(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<App> {
  // The admin server comes up first: /healthz answers while models load, /readyz says why it is not ready.
  const state: { policies?: PolicyStore; accepting: boolean; shuttingDown: boolean } = {
    accepting: false,
    shuttingDown: false,
  };
  const adminOptions = options.admin;
  const pools = new PoolRuntime(options.logger.child({ component: 'pools' }));
  // The state replicas share: follows each live policy's state_store, serves from memory while Redis is away.
  const store = new StoreHolder({ logger: options.logger.child({ component: 'state' }) });
  RESPONSE_CACHE.useSharedStore(store);
  const admin =
    adminOptions &&
    new AdminServer({
      readiness: () =>
        readinessReport({
          policyCompiled: state.policies !== undefined,
          modelsWarm: state.policies !== undefined,
          grpcAccepting: state.accepting,
          shuttingDown: state.shuttingDown,
        }),
      policy: () =>
        state.policies && policyView(state.policies, { showPrompts: adminOptions.showPrompts ?? false }),
      ...(adminOptions.metrics && { metrics: adminOptions.metrics }),
      pools: () => pools.view(),
      feedback: (input) => {
        const router = state.policies?.live.router;
        return router?.feedback ? router.feedback(input) : Promise.resolve(undefined);
      },
      replay: REPLAY_RECORDS,
      responseCache: RESPONSE_CACHE,
      logger: options.logger.child({ component: 'admin' }),
    });
  let adminPort: number | undefined;
  if (admin && adminOptions) {
    const { host, port } = adminOptions;
    adminPort = await admin.listen(host, port).catch((error: unknown) => {
      throw new ListenError('admin server', host, port, error);
    });
  }
  // One pool for the process: every policy generation shares the ONNX sessions of the models it keeps.
  const sessionPool = new OnnxSessionPool(
    options.inferenceWorkers === undefined ? {} : { inferenceWorkers: options.inferenceWorkers },
  );
  // Large request bodies are decoded on a worker thread; when it fails, in-loop (counted and logged).
  const bodyDecoder = new OffLoopBodyDecoder({
    onFallback: (reason) => {
      options.telemetry?.metrics.error(ERROR_REASON.bodyDecodeFallback);
      options.logger.warn('large request body decoded on the event loop', { reason });
    },
  });
  let policies: PolicyStore;
  try {
    policies = await PolicyStore.open(options.policyFile, options.logger.child({ component: 'policy' }), {
      sessionPool,
      ...(options.allowUnsupported && { allowUnsupported: true }),
      routerDeps: { ...defaultRouterDeps(), pools: pools.state, store, callModels: true, bodyDecoder },
      onPolicyLive: (policy) => {
        pools.apply(policy);
        store.apply(policy.stateStore);
      },
      ...(options.telemetry && { telemetry: options.telemetry }),
    });
  } catch (error) {
    await pools.close();
    await store.close();
    await sessionPool.close();
    await admin?.close();
    throw error;
  }
  state.policies = policies;
  if (options.telemetry?.metricsEnabled) {
    options.telemetry.metrics.observePools(
      () => pools.state.views(),
      (pool) => pools.scrapeFailures(pool),
    );
    options.telemetry.metrics.observeStateStore(() => store.status());
    observeResponseCache(options.telemetry.meter, RESPONSE_CACHE);
  }
  const server = new ExtProcServer({
    leaseRouter: () => policies.lease(),
    maxRequestHeaders: () => policies.live.policy.limits.maxRequestHeaders,
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
    await pools.close();
    await store.close();
    await sessionPool.close();
    await admin?.close();
    throw new ListenError('gRPC ext_proc server', options.host, options.port, error);
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
    pools,
    store,
    close: () => {
      state.shuttingDown = true;
      // The admin server outlives the gRPC drain so /readyz keeps answering 503 (not a refused connection).
      closing ??= Promise.resolve(watcher?.close())
        .then(() => server.close())
        .then(() => {
          state.accepting = false;
          policies.close();
        })
        .then(() => pools.close())
        .then(() => store.close())
        .then(() => sessionPool.close())
        .then(() => bodyDecoder.close())
        .then(() => admin?.close());
      return closing;
    },
  };
}
