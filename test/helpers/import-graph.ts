// Follows the relative imports of the project's TypeScript sources, static and dynamic, from entry files, so tests
// can assert which modules a command can load. Run directly to print the src/training files `serve` reaches:
//   node --import tsx test/helpers/import-graph.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A relative import: where it is written, what it names, and whether it runs only when reached (`import()`). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly dynamic: boolean;
}

const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?'([^']+)'/gm;
const DYNAMIC = /\bimport\(\s*'([^']+)'\s*\)/g;

/** The relative imports of one source file (repo-relative paths), type-only imports included. */
export function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8');
  const edges: ImportEdge[] = [];
  const add = (spec: string | undefined, dynamic: boolean): void => {
    if (spec === undefined || !spec.startsWith('.')) return;
    edges.push({
      from: file,
      to: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)),
      dynamic,
    });
  };
  for (const m of text.matchAll(STATIC)) add(m[1], false);
  for (const m of text.matchAll(DYNAMIC)) add(m[1], true);
  return edges;
}

/**
 * Every file reachable from `entries`, each with the chain of imports that first reached it. `lazy` lists the
 * dynamic imports not followed, as `from -> to` (the commands that load on demand what their entry never runs).
 */
export function reachable(
  entries: readonly string[],
  lazy: ReadonlySet<string> = new Set(),
): Map<string, readonly string[]> {
  const seen = new Map<string, readonly string[]>(entries.map((e) => [e, [e]]));
  const queue = [...entries];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const chain = seen.get(file) ?? [file];
    for (const edge of importsOf(file)) {
      if (edge.dynamic && lazy.has(`${edge.from} -> ${edge.to}`)) continue;
      if (seen.has(edge.to)) continue;
      seen.set(edge.to, [...chain, edge.to]);
      queue.push(edge.to);
    }
  }
  return seen;
}

/** What `semantic-router serve` can load: the app and the CLI entry, minus the train/eval commands it imports lazily. */
export const SERVE_ENTRIES = ['src/app.ts', 'src/cli/main.ts'] as const;
export const SERVE_LAZY = new Set([
  'src/cli/main.ts -> src/cli/train.ts',
  'src/cli/main.ts -> src/cli/eval.ts',
  'src/cli/main.ts -> src/cli/eval-routing.ts',
]);

/** Import chains from the serving entries to files under src/training/ (none when the split holds). */
export function trainingReachedByServe(): string[][] {
  return [...reachable(SERVE_ENTRIES, SERVE_LAZY)]
    .filter(([file]) => file.startsWith('src/training/'))
    .map(([, chain]) => [...chain]);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const chains = trainingReachedByServe();
  for (const chain of chains) process.stdout.write(`${chain.join(' -> ')}\n`);
  process.stdout.write(`${chains.length} src/training file(s) reachable from ${SERVE_ENTRIES.join(', ')}\n`);
  process.exitCode = chains.length === 0 ? 0 : 1;
}
