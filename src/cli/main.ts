// The `semantic-router` command: serve, validate, explain, train, eval, simulate.
import { parseArgs } from 'node:util';
import { createPrometheusMetrics } from '../admin/prometheus-exporter.ts';
import { type AppOptions, ListenError, startApp } from '../app.ts';
import { formatPolicyIssue, PolicyError } from '../errors.ts';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_POLL_MS } from '../policy/policy-watcher.ts';
import { AggregatedMetrics } from '../telemetry/aggregated-metrics.ts';
import { createLogger, errorFields, type Logger } from '../telemetry/logger.ts';
import { createTelemetry, DEFAULT_SHUTDOWN_TIMEOUT_MS, type Telemetry } from '../telemetry/telemetry.ts';
import type { CommandIO } from './validate.ts';

const COMMANDS_USAGE = `usage:
  semantic-router serve --policy FILE|DIR [--port 50051] [--host 0.0.0.0] [--max-body-bytes 8388608]
                        [--shutdown-grace-ms 10000] [--fail-open] [--admin-port 9190] [--admin-host 127.0.0.1]
                        [--admin-show-prompts] [--reload-debounce-ms 250] [--reload-poll-ms 2000]
                        [--inference-workers 1] [--telemetry-shutdown-timeout-ms 3000] [--allow-unsupported]
      gRPC ext_proc binds --host (default 0.0.0.0: Envoy must reach it); the admin server binds --admin-host,
      127.0.0.1 whatever --host is (give 0.0.0.0 or the pod IP for probes and Prometheus from outside).
      --policy DIR merges every *.yaml / *.yml file at the directory's top level (one ConfigMap per team).
      The policy is reloaded when it changes on disk (ConfigMap symlink swaps included) and on SIGHUP; a
      broken version keeps the last good one serving. --reload-poll-ms 0 turns watching off (SIGHUP only).
      Models slower than 1 ms per run (e.g. Hugging Face transformer exports) run in --inference-workers
      worker threads so they never block the event loop; the built-in models run inline.
      admin HTTP server (--admin-port 0 picks a free port, the default with --port 0): /healthz, /readyz,
      /metrics (Prometheus), /policy (credentials redacted, system prompts hidden unless --admin-show-prompts).
      SIGTERM drains streams, then flushes telemetry for at most --telemetry-shutdown-timeout-ms and exits 0.
      Logs: JSON lines on stderr, level from LOG_LEVEL (trace|debug|info|warn|error|fatal|silent), credentials
      and prompt text redacted
  semantic-router validate [--allow-unsupported] FILE
  semantic-router validate [--allow-unsupported] [--base POLICY] FRAGMENT
      a fragment of the peer's config (routing.signals, routing.decisions, plugin(s), algorithm, global; no
      version, no models) is checked inside a minimal base, or merged into --base POLICY (docs/policy-fragments.md)
  semantic-router explain --policy FILE [--json] [--model NAME] [--header name=value ...] "prompt"
  semantic-router explain --policy FILE [--json] [--path /v1/messages] < request.json
  semantic-router explain --policy FILE [--json] --replay RECORD.json
      (a router_replay record as GET /replay/<id> returns it: recorded vs current decision, model and pool)
      (any request size: stdin is read as a stream)
  --allow-unsupported (serve, validate, explain): load a policy that asks for a guardrail this router does not
      implement or a rejected plugin (rag with an external backend), WITHOUT it; a warning
      names each one at every load. Without the flag such a policy is an error.
      (a request body of the API --path names: /v1/chat/completions (default), /v1/completions,
      /v1/responses, /v1/messages)
`;

/** The whole usage text. train, eval, eval-routing and simulate are imported only here and when run, so `serve` never loads them. */
async function usage(): Promise<string> {
  const usages = await Promise.all([
    import('./train.ts').then((m) => m.TRAIN_USAGE),
    import('./eval.ts').then((m) => m.EVAL_USAGE),
    import('./eval-routing.ts').then((m) => m.EVAL_ROUTING_USAGE),
    import('./simulate.ts').then((m) => m.SIMULATE_USAGE),
  ]);
  return `${COMMANDS_USAGE}${usages.map((u) => u.replace(/^usage:\n/, '')).join('')}`;
}

const io: CommandIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new UsageError(`--${name} must be a non-negative integer`);
  return parsed;
}

class UsageError extends Error {}

/** Flushes and stops telemetry; a failure (e.g. an unreachable collector) is logged, never thrown. */
async function shutdownTelemetry(telemetry: Telemetry, logger: Logger, timeoutMs: number): Promise<boolean> {
  try {
    await telemetry.shutdown();
    return true;
  } catch (error) {
    logger.error('telemetry was not flushed', { ...errorFields(error), timeoutMs });
    return false;
  }
}

/**
 * Set when telemetry could not flush: its exporter may still wait on the collector with an open socket, which
 * must not keep the process alive once everything else has stopped.
 */
let exitWhenDone = false;

function watchOptions(debounce: string | undefined, poll: string | undefined): AppOptions['watch'] {
  const pollMs = positiveInt(poll, 'reload-poll-ms', DEFAULT_POLL_MS);
  if (pollMs === 0) return false;
  return { pollMs, debounceMs: positiveInt(debounce, 'reload-debounce-ms', DEFAULT_DEBOUNCE_MS) };
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'shutdown-grace-ms': { type: 'string' },
      'fail-open': { type: 'boolean' },
      'reload-debounce-ms': { type: 'string' },
      'inference-workers': { type: 'string' },
      'reload-poll-ms': { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      'admin-show-prompts': { type: 'boolean' },
      'telemetry-shutdown-timeout-ms': { type: 'string' },
      'allow-unsupported': { type: 'boolean' },
    },
  });
  if (!values.policy) throw new UsageError('serve needs --policy FILE or DIR');
  const logger = createLogger({ fields: { service: 'semantic-router' } });
  const host = values.host ?? '0.0.0.0';
  const port = positiveInt(values.port, 'port', 50051);
  const maxBodyBytes = positiveInt(values['max-body-bytes'], 'max-body-bytes', 8 * 1024 * 1024);
  const shutdownGraceMs = positiveInt(values['shutdown-grace-ms'], 'shutdown-grace-ms', 10_000);
  const watch = watchOptions(values['reload-debounce-ms'], values['reload-poll-ms']);
  const inferenceWorkers = Math.max(1, positiveInt(values['inference-workers'], 'inference-workers', 1));
  // Loopback unless told otherwise: /policy and /metrics are for operators, never for Envoy's clients.
  const adminHost = values['admin-host'] ?? '127.0.0.1';
  // A free gRPC port means an ephemeral instance (tests, benchmarks): a fixed admin port would collide.
  const adminPort = positiveInt(values['admin-port'], 'admin-port', port === 0 ? 0 : 9190);
  const telemetryTimeoutMs = positiveInt(
    values['telemetry-shutdown-timeout-ms'],
    'telemetry-shutdown-timeout-ms',
    DEFAULT_SHUTDOWN_TIMEOUT_MS,
  );
  const aggregatedMetrics = new AggregatedMetrics();
  const prometheus = createPrometheusMetrics([aggregatedMetrics]);
  const telemetry = createTelemetry({
    metricReaders: [prometheus.reader],
    aggregatedMetrics,
    shutdownTimeoutMs: telemetryTimeoutMs,
  });
  const stopTelemetry = async () => {
    if (!(await shutdownTelemetry(telemetry, logger, telemetryTimeoutMs))) exitWhenDone = true;
  };
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp({
      policyFile: values.policy,
      host,
      port,
      maxBodyBytes,
      shutdownGraceMs,
      failOpen: values['fail-open'] ?? false,
      logger,
      telemetry,
      watch,
      inferenceWorkers,
      ...(values['allow-unsupported'] && { allowUnsupported: true }),
      admin: {
        host: adminHost,
        port: adminPort,
        metrics: prometheus.handler,
        showPrompts: values['admin-show-prompts'] ?? false,
      },
    });
  } catch (error) {
    await stopTelemetry();
    if (error instanceof PolicyError) {
      for (const issue of error.issues) io.err(`${formatPolicyIssue(issue)}\n`);
      logger.error('policy is invalid, not starting', { file: values.policy });
      return 1;
    }
    if (error instanceof ListenError) {
      // e.g. "admin server: port 9190 on 127.0.0.1 is in use": which server, which address, no stack.
      logger.error(error.message, {
        server: error.server,
        host: error.host,
        port: error.port,
        errorCode: error.systemCode,
      });
      return 1;
    }
    logger.error('not starting', errorFields(error));
    return 1;
  }
  const stopped = new Promise<number>((resolve) => {
    const stop = async (signal: string) => {
      logger.info('shutting down', { signal, inFlightStreams: app.server.activeStreams });
      let code = 0;
      try {
        await app.close();
      } catch (error) {
        logger.error('shutdown failed', errorFields(error));
        code = 1;
      }
      // After the drain: the last streams' spans are in the batch being flushed.
      await stopTelemetry();
      logger.info('stopped', { exitCode: code });
      resolve(code);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    process.on('SIGHUP', () => void app.policies.reload());
  });
  // Only now: whoever waits for this line may signal at once, and SIGTERM must find its handler.
  const { policy, generation } = app.policies.live;
  logger.info('semantic-router listening', {
    host,
    port: app.port,
    adminHost,
    adminPort: app.adminPort,
    policy: values.policy,
    generation,
    models: policy.models.length,
    pools: policy.pools.length,
    decisions: policy.decisions.length,
  });
  for (const warning of policy.warnings)
    logger.warn('policy warning', { issue: formatPolicyIssue(warning).trim() });
  return stopped;
}

/** The whole of a piped stdin (read as a stream: readFileSync(0) fails with EAGAIN past ~64 KB on a pipe). */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function explain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      policy: { type: 'string' },
      json: { type: 'boolean' },
      model: { type: 'string' },
      header: { type: 'string', multiple: true },
      path: { type: 'string' },
      'allow-unsupported': { type: 'boolean' },
      replay: { type: 'string' },
    },
  });
  if (!values.policy) throw new UsageError('explain needs --policy FILE');
  if (values.replay)
    return (await import('./explain-replay.ts')).explainReplayCommand(
      {
        policyFile: values.policy,
        replayFile: values.replay,
        json: values.json ?? false,
        ...(values['allow-unsupported'] && { allowUnsupported: true }),
      },
      io,
    );
  const headers = new Map<string, string>();
  for (const header of values.header ?? []) {
    const eq = header.indexOf('=');
    if (eq <= 0) throw new UsageError(`--header expects name=value, got '${header}'`);
    headers.set(header.slice(0, eq).trim().toLowerCase(), header.slice(eq + 1).trim());
  }
  const prompt = positionals.join(' ');
  const requestJson = prompt ? undefined : await readStdin();
  if (!prompt && !requestJson)
    throw new UsageError('explain needs a prompt argument or a request JSON on stdin');
  return (await import('./explain.ts')).explainCommand(
    {
      policyFile: values.policy,
      json: values.json ?? false,
      headers,
      ...(prompt ? { prompt } : { requestJson: requestJson as string }),
      ...(values.model && { model: values.model }),
      ...(values.path && { path: values.path }),
      ...(values['allow-unsupported'] && { allowUnsupported: true }),
    },
    io,
  );
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'validate': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { 'allow-unsupported': { type: 'boolean' }, base: { type: 'string' } },
        });
        if (positionals.length !== 1) throw new UsageError('validate needs exactly one FILE');
        return await (await import('./validate.ts')).validateCommand(positionals[0] as string, io, {
          allowUnsupported: values['allow-unsupported'] ?? false,
          ...(values.base !== undefined && { base: values.base }),
        });
      }
      case 'explain':
        return await explain(rest);
      case 'train':
        return await (await import('./train.ts')).trainCommand(rest, io);
      case 'eval':
        return await (await import('./eval.ts')).evalCommand(rest, io);
      case 'simulate':
        return await (await import('./simulate.ts')).simulateCommand(rest, io);
      case 'eval-routing':
        return await (await import('./eval-routing.ts')).evalRoutingCommand(rest, io);
      case undefined:
      case '--help':
      case 'help':
        io.out(await usage());
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`semantic-router: ${(error as Error).message}\n${await usage()}`);
      return 2;
    }
    if (error instanceof PolicyError) {
      for (const issue of error.issues) io.err(`${formatPolicyIssue(issue)}\n`);
      return 1;
    }
    io.err(`semantic-router: ${JSON.stringify(errorFields(error))}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
if (exitWhenDone) process.exit();
