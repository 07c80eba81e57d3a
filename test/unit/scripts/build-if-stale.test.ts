// `npm start` rebuilds only when a build input changed since the last successful build.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildIfStale, readStamp, staleReason } from '../../../scripts/build-if-stale.mjs';

let root: string;
let builds: number;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function touch(relative: string, atMs: number, content = ''): void {
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  utimesSync(file, atMs / 1000, atMs / 1000);
  // The folders as they were before the test edits them (a new or deleted file changes its folder's mtime).
  for (let dir = path.dirname(file); dir.startsWith(root) && dir !== root; dir = path.dirname(dir))
    utimesSync(dir, T0 / 1000, T0 / 1000);
}

/** A build that writes the entry point, like tsc; `fails` makes it exit 2. */
function run(now: number, fails = false): number {
  return buildIfStale({
    root,
    now: () => now,
    build: () => {
      builds++;
      if (fails) return 2;
      touch('dist/bundle/main.js', now + 5_000);
      return 0;
    },
  });
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'build-if-stale-'));
  builds = 0;
  touch('src/app.ts', T0);
  touch('bench/run.ts', T0);
  touch('package.json', T0);
  touch('tsconfig.json', T0);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('build-if-stale', () => {
  it('builds when there is no dist/ and stamps the start time of a successful build', () => {
    expect(staleReason({ root })).toMatch(/missing/);
    expect(run(T0 + 60_000)).toBe(0);
    expect(builds).toBe(1);
    expect(readStamp(path.join(root, 'dist/.build-stamp'))?.startedMs).toBe(T0 + 60_000);
  });

  it('does not rebuild when nothing changed since the last build', () => {
    run(T0 + 60_000);
    expect(staleReason({ root })).toBeUndefined();
    expect(run(T0 + 120_000)).toBe(0);
    expect(builds).toBe(1);
  });

  it.each([
    'src/policy/new-module.ts',
    'src/app.ts',
    'bench/run.ts',
    'tsconfig.json',
    'package.json',
    'scripts/bundle.mjs',
  ])('rebuilds after %s changes', (file) => {
    run(T0 + 60_000);
    touch(file, T0 + 90_000);
    expect(staleReason({ root })).toMatch(/changed/);
    run(T0 + 120_000);
    expect(builds).toBe(2);
  });

  it('rebuilds after npm installed other dependencies (the bundle holds their code)', () => {
    touch('node_modules/.package-lock.json', T0, '{"packages":{"node_modules/yaml":{"version":"2.9.1"}}}');
    run(T0 + 60_000);
    expect(staleReason({ root })).toBeUndefined();
    // Same mtime, other content: compared by content.
    touch('node_modules/.package-lock.json', T0, '{"packages":{"node_modules/yaml":{"version":"2.9.2"}}}');
    expect(staleReason({ root })).toMatch(/installed dependencies changed/);
    run(T0 + 120_000);
    expect(builds).toBe(2);
    expect(staleReason({ root })).toBeUndefined();
  });

  it('does not rebuild after an install that changed nothing (npm rewrites its lock file all the same)', () => {
    touch('node_modules/.package-lock.json', T0, '{"packages":{}}');
    run(T0 + 60_000);
    touch('node_modules/.package-lock.json', T0 + 90_000, '{"packages":{}}');
    expect(staleReason({ root })).toBeUndefined();
    run(T0 + 120_000);
    expect(builds).toBe(1);
  });

  it('rebuilds once after a stamp written before dependencies were recorded', () => {
    run(T0 + 60_000);
    writeFileSync(path.join(root, 'dist/.build-stamp'), `${JSON.stringify({ startedMs: T0 + 60_000 })}\n`);
    expect(staleReason({ root })).toMatch(/installed dependencies changed/);
  });

  it('rebuilds after a source file is deleted (its folder changes)', () => {
    touch('src/old.ts', T0);
    run(T0 + 60_000);
    rmSync(path.join(root, 'src/old.ts'));
    utimesSync(path.join(root, 'src'), (T0 + 90_000) / 1000, (T0 + 90_000) / 1000);
    run(T0 + 120_000);
    expect(builds).toBe(2);
  });

  it('rebuilds after a file edited while the last build ran', () => {
    run(T0 + 60_000);
    touch('src/app.ts', T0 + 61_000);
    run(T0 + 120_000);
    expect(builds).toBe(2);
  });

  it('does not stamp a failed build: the next start builds again and reports the failure', () => {
    expect(run(T0 + 60_000, true)).toBe(2);
    expect(staleReason({ root })).toBeDefined();
    expect(run(T0 + 70_000, true)).toBe(2);
    expect(builds).toBe(2);
  });

  it('rebuilds when dist/ was removed even with a stamp', () => {
    run(T0 + 60_000);
    rmSync(path.join(root, 'dist/bundle'), { recursive: true });
    expect(staleReason({ root })).toMatch(/missing/);
  });
});
