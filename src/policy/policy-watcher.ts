// Notices when the policy on disk changed and asks for a reload, debounced and never two at once.
//
// Kubernetes updates a ConfigMap volume by writing a new timestamped directory and swapping the `..data` symlink;
// editors replace files by rename; operators may delete and recreate the whole directory. fs.watch sees most of
// this quickly but not all of it (a watched directory that is deleted stops reporting), so a fingerprint of the
// policy files (resolved paths, sizes, modification times) is also polled: a change in either schedules a reload.
import { type FSWatcher, watch } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { POLICY_FILE_PATTERN } from './load-policy.ts';

export interface PolicyWatcherOptions {
  /** Quiet time after the last change before reloading (a ConfigMap swap is several events). */
  readonly debounceMs?: number;
  /** How often the fingerprint is polled as a safety net. */
  readonly pollMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 250;
export const DEFAULT_POLL_MS = 2000;

/** What identifies the policy's content on disk; changes whenever a file is replaced, edited or removed. */
export async function policyFingerprint(policyPath: string): Promise<string> {
  try {
    const info = await stat(policyPath);
    const files = info.isDirectory()
      ? (await readdir(policyPath))
          .filter((n) => POLICY_FILE_PATTERN.test(n))
          .map((n) => path.join(policyPath, n))
      : [policyPath];
    const parts = await Promise.all(
      files.sort().map(async (file) => {
        try {
          const [real, s] = await Promise.all([realpath(file), stat(file)]);
          return `${file}>${real}:${s.size}:${s.mtimeMs}:${s.ino}`;
        } catch {
          return `${file}:gone`;
        }
      }),
    );
    return parts.join('|');
  } catch {
    return 'missing';
  }
}

export class PolicyWatcher {
  readonly #path: string;
  readonly #reload: () => Promise<unknown>;
  readonly #debounceMs: number;
  readonly #pollMs: number;
  #fingerprint = '';
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #poller: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  private constructor(policyPath: string, reload: () => Promise<unknown>, options: PolicyWatcherOptions) {
    this.#path = path.resolve(policyPath);
    this.#reload = reload;
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  /** Starts watching `policyPath` (a file or a directory); `reload` is called after each settled change. */
  static async start(
    policyPath: string,
    reload: () => Promise<unknown>,
    options: PolicyWatcherOptions = {},
  ): Promise<PolicyWatcher> {
    const watcher = new PolicyWatcher(policyPath, reload, options);
    watcher.#fingerprint = await policyFingerprint(watcher.#path);
    await watcher.#arm();
    watcher.#poller = setInterval(() => void watcher.#poll(), watcher.#pollMs);
    watcher.#poller.unref();
    return watcher;
  }

  /** The directory fs.watch observes: the policy directory itself, or a policy file's directory. */
  async #watchedDirectory(): Promise<string | undefined> {
    try {
      return (await stat(this.#path)).isDirectory() ? this.#path : path.dirname(this.#path);
    } catch {
      return undefined;
    }
  }

  async #arm(): Promise<void> {
    if (this.#closed || this.#watcher) return;
    const directory = await this.#watchedDirectory();
    if (directory === undefined) return;
    try {
      const watcher = watch(directory, { persistent: false }, () => this.#changed());
      // The directory went away (or another watch error): drop the watcher; polling re-arms it when it is back.
      watcher.on('error', () => this.#disarm(watcher));
      this.#watcher = watcher;
    } catch {
      // Not watchable now; polling covers it.
    }
  }

  #disarm(watcher: FSWatcher): void {
    watcher.close();
    if (this.#watcher === watcher) this.#watcher = undefined;
  }

  async #poll(): Promise<void> {
    if (this.#closed) return;
    if ((await policyFingerprint(this.#path)) !== this.#fingerprint) this.#changed();
    // A recreated directory is a new inode: the old watcher may be silent, so watch afresh.
    if (this.#watcher && this.#fingerprint === 'missing') this.#disarm(this.#watcher);
    await this.#arm();
  }

  #changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#settle(), this.#debounceMs);
    this.#timer.unref();
  }

  async #settle(): Promise<void> {
    const fingerprint = await policyFingerprint(this.#path);
    if (fingerprint === this.#fingerprint || this.#closed) return;
    this.#fingerprint = fingerprint;
    if (fingerprint === 'missing' && this.#watcher) this.#disarm(this.#watcher);
    await this.#arm();
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#runReloads();
    await this.#running;
  }

  /** Reloads until no change arrived during the last reload; a failing reload is the store's to report. */
  async #runReloads(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#reload().catch(() => undefined);
      } while (this.#again && !this.#closed);
    } finally {
      this.#running = undefined;
    }
  }

  /** Stops watching and waits for a reload in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#poller);
    if (this.#watcher) this.#disarm(this.#watcher);
    await this.#running;
  }
}
