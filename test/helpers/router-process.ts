// Starts the `semantic-router` CLI as a real process (node --import tsx, stopped by PID) for end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/** Runs a CLI command to completion. */
export function runCli(args: readonly string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

export interface ServingRouter {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: () => string;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `serve` on a free port and resolves once it logs that it is listening. `entry`: node's arguments before
 * `serve` (default: the sources through tsx).
 */
export function startRouterProcess(
  args: readonly string[],
  entry: readonly string[] = CLI,
): Promise<ServingRouter> {
  const child = spawn(process.execPath, [...entry, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`router did not start:\n${logs}`));
    }, 15_000);
    const onData = (d: Buffer) => {
      logs += d.toString();
      const match = /"msg":"semantic-router listening".*?"port":(\d+)/.exec(logs);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          port: Number(match[1]),
          logs: () => logs,
          exited,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`router exited with ${code} before listening:\n${logs}`));
    });
  });
}
