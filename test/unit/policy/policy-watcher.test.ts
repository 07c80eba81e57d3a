// The watcher reloads after plain edits, ConfigMap-style `..data` symlink swaps and a deleted-then-recreated
// directory; bursts of events become one reload.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PolicyWatcher } from '../../../src/policy/policy-watcher.ts';

let dir: string;
let watcher: PolicyWatcher | undefined;
let reloads: number;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'policy-watch-'));
  reloads = 0;
});
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const OPTIONS = { debounceMs: 50, pollMs: 100 };

async function start(target: string): Promise<void> {
  watcher = await PolicyWatcher.start(
    target,
    async () => {
      reloads++;
    },
    OPTIONS,
  );
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

/** Writes a new ConfigMap version directory and swaps `..data` to it atomically, as the kubelet does. */
function configMapVersion(root: string, version: number, files: Record<string, string>): void {
  const name = `..2026_11_22_10_00_0${version}.00000000${version}`;
  mkdirSync(path.join(root, name));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(root, name, file), text);
  symlinkSync(name, path.join(root, '..data_tmp'));
  renameSync(path.join(root, '..data_tmp'), path.join(root, '..data'));
  for (const file of Object.keys(files)) {
    try {
      symlinkSync(`..data/${file}`, path.join(root, file));
    } catch {
      // Already linked by an earlier version.
    }
  }
}

describe('policy watcher', () => {
  it('reloads once after a burst of edits to a policy file, and not for other files', async () => {
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, 'a: 1\n');
    await start(file);
    for (let i = 0; i < 5; i++) writeFileSync(file, `a: ${i + 2}\n`);
    await until(() => reloads === 1);
    writeFileSync(path.join(dir, 'unrelated.yaml'), 'b: 1\n');
    await settle();
    expect(reloads).toBe(1);
  });

  it('reloads after a ConfigMap ..data symlink swap', async () => {
    configMapVersion(dir, 1, { 'team.yaml': 'v: 1\n' });
    await start(dir);
    configMapVersion(dir, 2, { 'team.yaml': 'v: 2\n' });
    await until(() => reloads === 1);
    configMapVersion(dir, 3, { 'team.yaml': 'v: 3\n', 'other-team.yaml': 'w: 1\n' });
    await until(() => reloads === 2);
    await settle();
    expect(reloads).toBe(2);
  });

  it('keeps watching a directory that was deleted and created again', async () => {
    const policies = path.join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(path.join(policies, 'p.yaml'), 'v: 1\n');
    await start(policies);
    rmSync(policies, { recursive: true });
    await until(() => reloads === 1);
    mkdirSync(policies);
    writeFileSync(path.join(policies, 'p.yaml'), 'v: 2\n');
    await until(() => reloads === 2);
    writeFileSync(path.join(policies, 'p.yaml'), 'v: 3\n');
    await until(() => reloads === 3);
  });

  it('runs reloads one at a time and catches up with changes made during one', async () => {
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, 'a: 1\n');
    let running = 0;
    let overlapped = false;
    watcher = await PolicyWatcher.start(
      file,
      async () => {
        running++;
        overlapped ||= running > 1;
        reloads++;
        if (reloads === 1) writeFileSync(file, 'a: 3\n');
        await new Promise((resolve) => setTimeout(resolve, 300));
        running--;
      },
      OPTIONS,
    );
    writeFileSync(file, 'a: 2\n');
    await until(() => reloads === 2);
    await settle();
    expect(overlapped).toBe(false);
    expect(reloads).toBe(2);
  });
});
