// Where `serve` listens: gRPC ext_proc on --host (0.0.0.0: Envoy must reach it), the admin server on loopback
// whatever --host is; and a port already in use names the server that could not start.
import { spawn } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--policy', 'policies/default.yaml'];

/** The fields of the "semantic-router listening" log line this test reads. */
interface Listening {
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  readonly adminPort: number;
}

interface Serving {
  readonly listening: Listening;
  readonly stop: () => Promise<{ code: number | null; stderr: string }>;
}

interface Finished {
  readonly code: number | null;
  readonly stderr: string;
}

const started: Serving[] = [];
const occupied: Server[] = [];

afterEach(async () => {
  for (const router of started.splice(0)) await router.stop();
  for (const server of occupied.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Runs `serve` with `args`: resolves with its listening log line, or with its exit when it stops first. */
function serve(args: readonly string[]): Promise<Serving | Finished> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  let stderr = '';
  // 'close', not 'exit': stderr has been read to its end.
  const exited = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return new Promise((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const complete = stderr.slice(0, stderr.lastIndexOf('\n') + 1).split('\n');
      const line = complete.find((l) => l.includes('"msg":"semantic-router listening"'));
      if (!line) return;
      const serving: Serving = {
        listening: JSON.parse(line) as Listening,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
            process.kill(child.pid, 'SIGTERM');
          return exited;
        },
      };
      started.push(serving);
      resolve(serving);
    });
    void exited.then(resolve);
  });
}

function occupy(host: string): Promise<number> {
  const server = createServer();
  occupied.push(server);
  return new Promise((resolve) =>
    server.listen(0, host, () => resolve((server.address() as { port: number }).port)),
  );
}

/** Whether a TCP connection to host:port is accepted (false when refused). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' ? resolve(false) : reject(error),
    );
  });
}

/** An address of this machine other than 127.0.0.1: a 127.0.0.1 bind refuses it, a 0.0.0.0 bind accepts it. */
function otherLocalAddress(): string {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  // Linux routes all of 127.0.0.0/8 to the loopback interface.
  return external?.address ?? '127.0.0.2';
}

function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      expect(() => JSON.parse(line), `not a JSON log line: ${line}`).not.toThrow();
      return JSON.parse(line) as Record<string, unknown>;
    });
}

describe('serve binds', { timeout: 60_000 }, () => {
  it('the admin server to 127.0.0.1 even when --host is 0.0.0.0; gRPC to --host', async () => {
    const router = await serve(['--host', '0.0.0.0', '--port', '0']);
    if (!('listening' in router)) throw new Error(`serve exited with ${router.code}:\n${router.stderr}`);
    const { host, port, adminHost, adminPort } = router.listening;
    expect({ host, adminHost }).toEqual({ host: '0.0.0.0', adminHost: '127.0.0.1' });
    const other = otherLocalAddress();
    expect(await accepts('127.0.0.1', adminPort)).toBe(true);
    expect(await accepts(other, adminPort)).toBe(false);
    expect(await accepts(other, port)).toBe(true);
    expect((await router.stop()).code).toBe(0);
  });

  it('the admin server where --admin-host says', async () => {
    const router = await serve(['--host', '127.0.0.1', '--port', '0', '--admin-host', '0.0.0.0']);
    if (!('listening' in router)) throw new Error(`serve exited with ${router.code}:\n${router.stderr}`);
    expect(router.listening.adminHost).toBe('0.0.0.0');
    expect(await accepts(otherLocalAddress(), router.listening.adminPort)).toBe(true);
    expect((await router.stop()).code).toBe(0);
  });
});

describe('serve names the server whose port is in use', { timeout: 60_000 }, () => {
  it('admin server', async () => {
    const port = await occupy('127.0.0.1');
    const result = await serve(['--host', '127.0.0.1', '--port', '0', '--admin-port', String(port)]);
    if ('listening' in result) throw new Error('serve started on a port in use');
    expect(result.code).toBe(1);
    const lines = jsonLines(result.stderr);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: `admin server: port ${port} on 127.0.0.1 is in use`,
        server: 'admin server',
        port,
        errorCode: 'EADDRINUSE',
      }),
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('gRPC ext_proc server', async () => {
    const port = await occupy('127.0.0.1');
    const result = await serve(['--host', '127.0.0.1', '--port', String(port), '--admin-port', '0']);
    if ('listening' in result) throw new Error('serve started on a port in use');
    expect(result.code).toBe(1);
    // grpc-js prints its own "E No address added ..." line (its logger is src/server's to route); the router's
    // own report is one JSON line naming the server.
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: `gRPC ext_proc server: port ${port} on 127.0.0.1 is in use`,
        server: 'gRPC ext_proc server',
        port,
        errorCode: 'EADDRINUSE',
      }),
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('semantic-router: {');
  });
});
