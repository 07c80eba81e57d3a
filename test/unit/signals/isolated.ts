// Runs a snippet in a child Node process with a deadline, so a test can prove that code which might spin forever
// (a synchronous infinite loop cannot be interrupted in-process) actually returns.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface IsolatedResult {
  /** False when the deadline passed and the child was killed. */
  readonly finished: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Evaluates ES module `source` (which may `await import()` repository .ts files by absolute path) under tsx, and
 * kills it after `deadlineMs`.
 */
export function runIsolated(source: string, deadlineMs: number): Promise<IsolatedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ finished: !timedOut, stdout, stderr });
    });
  });
}

/** Absolute path of a repository file, for `import()` inside an isolated snippet. */
export function repoFile(relative: string): string {
  return JSON.stringify(path.join(repoRoot, relative));
}
