// Collects policy problems with their location, and turns zod issues into located, hinted PolicyIssues.
import type { z } from 'zod';
import type { PolicyIssue } from '../errors.ts';

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  }
  return out;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Where a policy path is written: its line, and the file when the policy spans several files. */
export interface SourceLocation {
  readonly file?: string;
  readonly line?: number;
}

export type Locator = (path: readonly PathSegment[]) => SourceLocation | undefined;

export class IssueCollector {
  readonly issues: PolicyIssue[] = [];

  constructor(
    private readonly file: string,
    private readonly locate: Locator,
  ) {}

  add(severity: 'error' | 'warning', path: readonly PathSegment[], message: string, hint?: string): void {
    const { file = this.file, line } = this.locate(path) ?? {};
    this.issues.push({
      file,
      path: formatPath(path),
      message,
      severity,
      ...(hint !== undefined && { hint }),
      ...(line !== undefined && { line }),
    });
  }

  error(path: readonly PathSegment[], message: string, hint?: string): void {
    this.add('error', path, message, hint);
  }

  warning(path: readonly PathSegment[], message: string, hint?: string): void {
    this.add('warning', path, message, hint);
  }

  get hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }

  /** Records every zod issue under `base`, with hints for the common mistakes. */
  fromZod(
    error: z.ZodError,
    base: readonly PathSegment[],
    knownKeys?: (path: readonly PathSegment[]) => string[],
  ): void {
    for (const issue of error.issues) {
      const path = [...base, ...(issue.path as PathSegment[])];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const known = knownKeys?.(path) ?? [];
          // A field known elsewhere in the schema is misplaced, not misspelt: never suggest its own name.
          if (known.includes(key)) {
            this.error(
              [...path, key],
              `unknown field '${key}'`,
              `'${key}' is valid elsewhere in a policy, not here: move it (see docs/policy.md) or remove it`,
            );
            continue;
          }
          const suggestion = closest(key, known);
          this.error(
            [...path, key],
            `unknown field '${key}'`,
            suggestion
              ? `did you mean '${suggestion}'?`
              : 'remove it or check the spelling against docs/policy.md',
          );
        }
      } else if (issue.code === 'invalid_type' && issue.input === undefined) {
        this.error(path, 'is required', `add '${String(path.at(-1))}'`);
      } else if (issue.code === 'invalid_value' && 'values' in issue) {
        this.error(path, issue.message, `use one of: ${issue.values.map(String).join(', ')}`);
      } else {
        this.error(path, issue.message);
      }
    }
  }
}

interface SchemaInternals {
  readonly _zod?: { readonly def?: Record<string, unknown> };
}

/** Every field name a schema accepts, anywhere inside it (for "did you mean" hints). */
export function schemaFieldNames(
  schema: unknown,
  into = new Set<string>(),
  seen = new Set<unknown>(),
): Set<string> {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return into;
  seen.add(schema);
  const def = (schema as SchemaInternals)._zod?.def;
  if (!def) return into;
  if (def.type === 'object' && typeof def.shape === 'object' && def.shape !== null) {
    for (const [key, child] of Object.entries(def.shape)) {
      into.add(key);
      schemaFieldNames(child, into, seen);
    }
  }
  for (const key of ['innerType', 'in', 'out', 'element', 'valueType', 'left', 'right']) {
    if (def[key]) schemaFieldNames(def[key], into, seen);
  }
  if (Array.isArray(def.options)) for (const option of def.options) schemaFieldNames(option, into, seen);
  if (typeof def.getter === 'function') schemaFieldNames((def.getter as () => unknown)(), into, seen);
  return into;
}
