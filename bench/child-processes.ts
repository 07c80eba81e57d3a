// Starting and stopping the benchmark's child processes: servers announce their port in a JSON log line on
// stderr; every child is killed by PID when the benchmark exits, whatever the reason.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './ext-proc-proto.ts';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** The router as `npm start` and the container run it: the bundle `npm run build` writes (scripts/bundle.mjs). */
export const ROUTER_ENTRY = 'dist/bundle/main.js';

/** Sends SIGTERM to every live child (used on SIGINT/SIGTERM of the benchmark itself). */
export function terminateAll(): void {
  for (const child of live) child.kill('SIGTERM');
}

/** Runs a benchmark's `main`: children are stopped on SIGINT/SIGTERM, errors print as `name: message`. */
export async function runBenchMain(name: string, main: () => Promise<number>): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      terminateAll();
      process.exit(130);
    });
  }
  try {
    process.exitCode = await main();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Milliseconds from spawn to the "listening" line (policy compiled, models loaded and warm). */
  readonly readyMs: number;
  /** The last lines the server logged (for error reports). */
  logTail(): string[];
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_LINES = 40;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Node options for every server a bench starts, from BENCH_SERVER_NODE_ARGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/profiles` to profile the servers under the bench's load (Node refuses
 * `--cpu-prof` in NODE_OPTIONS).
 */
function serverNodeArgs(): string[] {
  return (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg.length > 0);
}

/**
 * Runs `node ARGS` in the repository root (through tsx when the entry point is TypeScript) and waits for its
 * "listening" log line.
 */
export function startServer(
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 20_000,
): Promise<ServerProcess> {
  const started = performance.now();
  const child = track(
    spawn(
      process.execPath,
      [...serverNodeArgs(), ...(args[0]?.endsWith('.ts') ? ['--import', 'tsx'] : []), ...args],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
      },
    ),
  );
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (reason: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start: ${reason}\n${tail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no "listening" log line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
    // Keep reading stderr for the whole run: a full pipe would block the server.
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (ready || !line.includes('listening')) return;
      let port: unknown;
      try {
        port = (JSON.parse(line) as { port?: unknown }).port;
      } catch {
        return;
      }
      if (typeof port !== 'number' || child.pid === undefined) return;
      ready = true;
      clearTimeout(timer);
      const pid = child.pid;
      resolve({
        name,
        pid,
        port,
        readyMs: performance.now() - started,
        logTail: () => [...tail],
        stop: async (graceMs = 5_000) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.kill('SIGTERM');
          await exited(child);
          clearTimeout(killer);
        },
      });
    });
  });
}

/** Runs `node --import tsx ARGS` to completion; resolves with its stdout (stderr passes through). */
export function runToCompletion(args: readonly string[]): Promise<string> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const stdout = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new Error(`${args[0]} failed with ${signal ?? `exit code ${code}`}`));
    });
  });
}
