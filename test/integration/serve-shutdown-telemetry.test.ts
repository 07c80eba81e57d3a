// SIGTERM while the OTLP collector cannot take the spans: `serve` drains its streams, gives the flush at most
// --telemetry-shutdown-timeout-ms, logs the failure as one JSON line and exits 0 (no stack trace on stderr).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createExtProcClient, runHttpExchange } from '../helpers/ext-proc-client.ts';

const CLI = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--policy', 'policies/default.yaml'];

interface Router {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Listens on a free loopback port; `onConnection` sees each connection. */
function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    ),
  );
}

/** A collector that accepts connections and reads requests but never answers them. */
async function silentCollector(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const { port } = await listen((socket) => {
    connections++;
    sockets.push(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  return { port, connections: () => connections };
}

/** A port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => {});
  servers.splice(servers.indexOf(server), 1);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startRouter(collectorPort: number): Promise<Router> {
  const child = spawn(
    process.execPath,
    [...CLI, '--host', '127.0.0.1', '--port', '0', '--telemetry-shutdown-timeout-ms', '200'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${collectorPort}/v1/traces`,
        OTEL_TRACES_SAMPLER: 'always_on',
        // Nothing is exported before shutdown: the request's spans wait in the batch until SIGTERM.
        OTEL_BSP_SCHEDULE_DELAY: '3600000',
        OTEL_METRICS_EXPORTER: 'none',
      },
    },
  );
  children.push(child);
  let stderr = '';
  // 'close', not 'exit': stderr has been read to its end.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const complete = stderr.slice(0, stderr.lastIndexOf('\n') + 1);
      const port = /"msg":"semantic-router listening".*?"port":(\d+)/.exec(complete)?.[1];
      if (port) resolve({ child, port: Number(port), stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`router exited with ${code} before listening:\n${stderr}`)));
  });
}

/** Sends one routed request, so the stream's spans are pending in the batch span processor. */
async function routeOneRequest(port: number): Promise<void> {
  const client = createExtProcClient(port);
  try {
    const result = await runHttpExchange(client, {
      body: { model: 'auto', messages: [{ role: 'user', content: 'Write a python function' }] },
    });
    expect(result.immediate).toBeUndefined();
  } finally {
    client.close();
  }
}

function logLines(stderr: string): Record<string, unknown>[] {
  const lines = stderr.split('\n').filter((line) => line !== '');
  for (const line of lines) expect(() => JSON.parse(line), `not a JSON log line: ${line}`).not.toThrow();
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('SIGTERM with pending spans and an unreachable collector', { timeout: 60_000 }, () => {
  it('a collector that never answers: bounded flush, one JSON error line, exit 0', async () => {
    const collector = await silentCollector();
    const router = await startRouter(collector.port);
    await routeOneRequest(router.port);
    process.kill(router.child.pid as number, 'SIGTERM');
    expect(await router.exited).toBe(0);
    // The flush was attempted: the pending spans were sent to the collector, which never answered.
    await expect.poll(() => collector.connections(), { timeout: 30_000 }).toBeGreaterThan(0);
    const lines = logLines(router.stderr());
    expect(lines.filter((line) => line.msg === 'telemetry was not flushed')).toEqual([
      expect.objectContaining({ level: 'error', timeoutMs: 200, error: expect.stringMatching(/200 ms/) }),
    ]);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', exitCode: 0 });
  });

  it('a collector port that refuses connections: the failure is logged as JSON, exit 0', async () => {
    const router = await startRouter(await closedPort());
    await routeOneRequest(router.port);
    process.kill(router.child.pid as number, 'SIGTERM');
    expect(await router.exited).toBe(0);
    const lines = logLines(router.stderr());
    expect(lines.filter((line) => line.msg === 'telemetry was not flushed')).toEqual([
      expect.objectContaining({ level: 'error' }),
    ]);
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', exitCode: 0 });
  });
});
