// Finds the files the router ships beside its code (proto/, models/), whether it runs from src/ or dist/src/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder above this module that holds `relative` (e.g. `proto/envoy`, `models`), else `fallback`. */
export function findPackageFile(relative: string, fallback?: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir && fallback !== undefined) return fallback;
    if (parent === dir)
      throw new Error(`cannot find ${relative} of semantic-router above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
