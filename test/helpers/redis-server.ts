// A real redis-server for tests: found or installed by scripts/redis.sh (Debian's package, its service never
// started), run on a free loopback port with no persistence, stopped by PID. Tests skip with the reason when
// redis-server cannot be had.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const ensured = spawnSync('scripts/redis.sh', ['ensure'], { encoding: 'utf8', timeout: 300_000 });
/** The redis-server binary, or undefined (see `redisSkipReason`). */
export const redisBinary: string | undefined =
  ensured.status === 0 ? ensured.stdout.trim().split('\n').pop() : undefined;
export const redisSkipReason: string | undefined = redisBinary
  ? undefined
  : `redis-server is not available: ${(ensured.stderr || ensured.error?.message || '').trim()}`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  #process: ChildProcess | undefined;
  #log = '';

  private constructor(readonly port: number) {}

  /** Starts redis-server on a free loopback port (or `port`), resolving once it accepts connections. */
  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.start();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.#log;
  }

  /** (Re)starts the server on the same port, empty. */
  async start(): Promise<void> {
    if (!redisBinary) throw new Error(redisSkipReason);
    if (this.#process) return;
    const child = spawn(
      redisBinary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.#log += chunk.toString();
        if (this.#log.includes('Ready to accept connections')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${this.#log}`)));
    });
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  /** Stops the server by its PID and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    });
  }
}
