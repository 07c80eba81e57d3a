// Merges the policy documents of a directory (e.g. one ConfigMap per team) into one, with clear conflicts.
//
// Mappings merge key by key. Lists of named items (pools, models, decisions, each signal family's rules) are
// concatenated, and a name defined in two files is a conflict; other lists (e.g. auto_model_names) are joined
// without repeats. Scalars may repeat only with the same value. A named item is never merged field by field:
// one file owns each pool, model, decision and signal rule.
import type { PathSegment } from './issues.ts';

export interface PolicyDocument {
  readonly file: string;
  readonly value: unknown;
}

export interface MergeConflict {
  /** Path in the merged document. */
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** The two files involved: the earlier file (in name order) first. */
  readonly files: readonly [string, string];
}

/** Where a merged path came from: a file and the path inside that file's own document. */
export interface Origin {
  readonly file: string;
  readonly path: readonly PathSegment[];
}

export interface MergedPolicy {
  readonly value: unknown;
  readonly conflicts: readonly MergeConflict[];
  /** The file (and path in it) that defines a merged path, for locating errors; undefined when none does. */
  origin(path: readonly PathSegment[]): Origin | undefined;
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameOf(item: unknown): string | undefined {
  return isPlain(item) && typeof item.name === 'string' ? item.name : undefined;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function formatPath(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || '(root)';
}

/** Each merged list element's file and its index in that file's list, keyed by the merged list's path. */
type ListOrigins = Map<string, { file: string; index: number }[]>;

const key = (path: readonly PathSegment[]) => JSON.stringify(path);

export function mergePolicyDocuments(documents: readonly PolicyDocument[]): MergedPolicy {
  const conflicts: MergeConflict[] = [];
  const listOrigins: ListOrigins = new Map();
  /** First file that set each scalar or list path. */
  const ownerOf = new Map<string, string>();

  const mergeInto = (target: unknown, incoming: unknown, file: string, path: PathSegment[]): unknown => {
    if (target === undefined) {
      record(incoming, file, path);
      return incoming;
    }
    if (isPlain(target) && isPlain(incoming)) {
      const out: Plain = { ...target };
      for (const [k, v] of Object.entries(incoming)) out[k] = mergeInto(out[k], v, file, [...path, k]);
      return out;
    }
    if (Array.isArray(target) && Array.isArray(incoming)) return mergeLists(target, incoming, file, path);
    const owner = ownerOf.get(key(path)) ?? '?';
    if (isPlain(target) || isPlain(incoming) || Array.isArray(target) || Array.isArray(incoming)) {
      conflicts.push({
        path,
        message: `${formatPath(path)} has different shapes in ${owner} and ${file}`,
        files: [owner, file],
      });
      return target;
    }
    if (target !== incoming) {
      conflicts.push({
        path,
        message: `${formatPath(path)} is ${describe(target)} in ${owner} but ${describe(incoming)} in ${file}`,
        files: [owner, file],
      });
    }
    return target;
  };

  const mergeLists = (
    target: unknown[],
    incoming: unknown[],
    file: string,
    path: PathSegment[],
  ): unknown[] => {
    const origins = listOrigins.get(key(path)) ?? [];
    const named =
      target.some((item) => nameOf(item) !== undefined) || incoming.some((i) => nameOf(i) !== undefined);
    const out = [...target];
    incoming.forEach((item, index) => {
      const name = nameOf(item);
      if (named && name !== undefined) {
        const clash = out.findIndex((existing) => nameOf(existing) === name);
        if (clash >= 0) {
          const other = origins[clash]?.file ?? '?';
          conflicts.push({
            path: [...path, clash],
            message: `'${name}' (${formatPath(path)}) is defined in both ${other} and ${file}`,
            files: [other, file],
          });
          return;
        }
      } else if (!named && out.some((existing) => JSON.stringify(existing) === JSON.stringify(item))) {
        return;
      }
      out.push(item);
      origins.push({ file, index });
      recordInside(item, file, [...path, out.length - 1]);
    });
    listOrigins.set(key(path), origins);
    return out;
  };

  /** Remembers which file introduced a value, down to every list inside it. */
  const record = (value: unknown, file: string, path: PathSegment[]): void => {
    ownerOf.set(key(path), file);
    if (Array.isArray(value)) {
      listOrigins.set(
        key(path),
        value.map((_, index) => ({ file, index })),
      );
    }
    recordInside(value, file, path);
  };
  const recordInside = (value: unknown, file: string, path: PathSegment[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        record(item, file, [...path, index]);
      });
    } else if (isPlain(value)) {
      for (const [k, v] of Object.entries(value)) record(v, file, [...path, k]);
    }
  };

  let merged: unknown;
  for (const { file, value } of documents) merged = mergeInto(merged, value, file, []);

  const origin = (path: readonly PathSegment[]): Origin | undefined => {
    // Translate list indices from the merged document to the file's own; the last list element crossed
    // decides the file, else the file that first set the deepest known prefix.
    const translated: PathSegment[] = [];
    let file: string | undefined;
    for (let depth = 0; depth < path.length; depth++) {
      const segment = path[depth] as PathSegment;
      const from =
        typeof segment === 'number' ? listOrigins.get(key(path.slice(0, depth)))?.[segment] : undefined;
      if (from) file = from.file;
      translated.push(from ? from.index : segment);
    }
    if (file === undefined) {
      for (let depth = path.length; depth >= 0 && file === undefined; depth--) {
        file = ownerOf.get(key(path.slice(0, depth)));
      }
    }
    return file === undefined ? undefined : { file, path: translated };
  };

  return { value: merged, conflicts, origin };
}
