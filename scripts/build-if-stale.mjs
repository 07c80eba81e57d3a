#!/usr/bin/env node
// `npm start`'s prestart: runs `npm run build` only when a build input changed since the last successful build
// made here. The stamp (dist/.build-stamp) holds the time that build STARTED, so a file edited while tsc ran
// is still newer than it. Directories count too: deleting or renaming a file changes its folder's mtime.
// `npm run build` alone always builds and writes no stamp: the next `npm start` after it builds once more.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_INPUTS = ['src', 'bench', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
// The bundle (scripts/bundle.mjs) holds the dependencies' code too, so what npm installed is an input as well: its
// hidden lock file names every installed package's version. Compared by content, not mtime: npm rewrites it on
// every install, with the same bytes when nothing changed.
export const DEFAULT_INSTALLED = 'node_modules/.package-lock.json';
export const DEFAULT_STAMP = 'dist/.build-stamp';
export const DEFAULT_OUTPUT = 'dist/bundle/main.js';

/** Newest mtime (ms) of the given files and folders, folders walked recursively; absent ones are skipped. */
export function newestMtimeMs(paths) {
  let newest = 0;
  const visit = (entry) => {
    let stats;
    try {
      stats = statSync(entry);
    } catch {
      return;
    }
    newest = Math.max(newest, stats.mtimeMs);
    if (!stats.isDirectory()) return;
    for (const child of readdirSync(entry)) visit(path.join(entry, child));
  };
  for (const entry of paths) visit(entry);
  return newest;
}

/** The SHA-1 of what npm installed (DEFAULT_INSTALLED), or 'none' without one (another package manager). */
export function installedDigest(file) {
  try {
    return createHash('sha1').update(readFileSync(file)).digest('hex');
  } catch {
    return 'none';
  }
}

/** The last successful build's start time and installed digest, or undefined (no stamp, unreadable stamp). */
export function readStamp(stampFile) {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    const startedMs = Number(stamp.startedMs);
    if (!Number.isFinite(startedMs)) return undefined;
    return { startedMs, installed: typeof stamp.installed === 'string' ? stamp.installed : undefined };
  } catch {
    return undefined;
  }
}

export function writeStamp(stampFile, startedMs, installed) {
  mkdirSync(path.dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${JSON.stringify({ startedMs, installed })}\n`);
}

/** Why a build is needed, or undefined when dist/ is current. Paths are relative to `root`. */
export function staleReason({
  root,
  inputs = DEFAULT_INPUTS,
  stamp = DEFAULT_STAMP,
  output = DEFAULT_OUTPUT,
  installed = DEFAULT_INSTALLED,
}) {
  if (!existsSync(path.join(root, output))) return `${output} is missing`;
  const built = readStamp(path.join(root, stamp));
  if (built === undefined) return `no build stamp (${stamp})`;
  if (newestMtimeMs(inputs.map((input) => path.join(root, input))) > built.startedMs)
    return 'sources changed since the last build';
  if (built.installed !== installedDigest(path.join(root, installed)))
    return 'the installed dependencies changed since the last build';
  return undefined;
}

/**
 * Builds with `build(root)` (exit status) when stale and stamps a successful build. Returns the exit status:
 * 0 when nothing had to be built.
 */
export function buildIfStale({ root, build, log = () => {}, now = Date.now, ...paths }) {
  const reason = staleReason({ root, ...paths });
  if (reason === undefined) {
    log('dist/ is current, not rebuilding');
    return 0;
  }
  log(`building: ${reason}`);
  // Both taken before the build: what changes while it runs is seen by the next start.
  const startedMs = now();
  const installed = installedDigest(path.join(root, paths.installed ?? DEFAULT_INSTALLED));
  const status = build(root);
  if (status === 0) writeStamp(path.join(root, paths.stamp ?? DEFAULT_STAMP), startedMs, installed);
  return status;
}

/** Runs `npm run build` in `root`; its exit status. `stdio` as spawnSync takes it. */
export function npmRunBuild(root, stdio = 'inherit') {
  const npm = process.env.npm_execpath;
  // Under npm, npm_execpath is npm's CLI script: run it with this node, as npm itself does.
  const [command, args] = npm
    ? [process.execPath, [npm, 'run', 'build']]
    : [process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build']];
  const result = spawnSync(command, args, { cwd: root, stdio });
  return result.status ?? 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  process.exitCode = buildIfStale({
    root,
    build: npmRunBuild,
    log: (message) => process.stderr.write(`build-if-stale: ${message}\n`),
  });
}
