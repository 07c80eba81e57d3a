// Reads a policy file, or a directory of policy files merged into one, parses the YAML keeping positions for
// error messages, and compiles it.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { PolicyError, type PolicyIssue } from '../errors.ts';
import { type CompileOptions, compilePolicy } from './compile-policy.ts';
import { formatPath, type Locator, type PathSegment } from './issues.ts';
import { mergePolicyDocuments } from './merge-policy-documents.ts';
import type { Policy } from './policy.ts';

export type LoadOptions = Pick<
  CompileOptions,
  'signalTimeoutMs' | 'sessionPool' | 'builtinModelsDir' | 'plugins' | 'allowUnsupported'
>;

/** Files of a policy directory that are read: YAML files at its top level, hidden ones (ConfigMap `..data`) not. */
export const POLICY_FILE_PATTERN = /^[^.].*\.ya?ml$/i;

function fileIssue(file: string, message: string, hint?: string, line?: number): PolicyIssue {
  return {
    file,
    path: '',
    message,
    severity: 'error',
    ...(hint && { hint }),
    ...(line !== undefined && { line }),
  };
}

export interface ParsedYaml {
  readonly file: string;
  readonly value: unknown;
  /** 1-based line of the deepest node that exists on the path (a missing key is reported at its parent). */
  readonly lineOf: (segments: readonly PathSegment[]) => number | undefined;
}

function lineFinder(document: Document, lineCounter: LineCounter) {
  return (segments: readonly PathSegment[]): number | undefined => {
    for (let depth = segments.length; depth >= 0; depth--) {
      const node = document.getIn(segments.slice(0, depth), true) as YamlNode | undefined;
      if (node && (isMap(node) || isSeq(node) || 'range' in node) && node.range) {
        return lineCounter.linePos(node.range[0]).line;
      }
    }
    return undefined;
  };
}

/** Parses YAML with positions; syntax errors become a PolicyError naming the file and line. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new PolicyError(
      document.errors.map((error) =>
        fileIssue(
          file,
          `YAML syntax: ${error.message.split('\n')[0]}`,
          'fix the YAML syntax',
          error.linePos?.[0]?.line,
        ),
      ),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PolicyError([fileIssue(file, `YAML: ${(error as Error).message}`)]);
  }
  return { file, value, lineOf: lineFinder(document, lineCounter) };
}

/** Parses and compiles policy text; `file` names it in errors. */
export async function compilePolicyText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<Policy> {
  const { value, lineOf } = parseYaml(text, file);
  const locate: Locator = (segments) => ({ line: lineOf(segments) });
  return compilePolicy(value, { ...options, file, policyDir: path.dirname(path.resolve(file)), locate });
}

/**
 * Compiles the YAML files of a directory as one policy (see merge-policy-documents.ts); errors name the file
 * and line that wrote the offending part.
 */
export async function compilePolicyFiles(
  files: readonly { readonly file: string; readonly text: string }[],
  directory: string,
  options: LoadOptions = {},
): Promise<Policy> {
  const parsed: ParsedYaml[] = [];
  const syntax: PolicyIssue[] = [];
  for (const { file, text } of files) {
    try {
      parsed.push(parseYaml(text, file));
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      syntax.push(...error.issues);
    }
  }
  if (syntax.length > 0) throw new PolicyError(syntax);
  const merged = mergePolicyDocuments(parsed.map(({ file, value }) => ({ file, value })));
  const byFile = new Map(parsed.map((p) => [p.file, p]));
  const locate: Locator = (segments) => {
    const origin = merged.origin(segments);
    if (origin === undefined) return undefined;
    return { file: origin.file, line: byFile.get(origin.file)?.lineOf(origin.path) };
  };
  if (merged.conflicts.length > 0) {
    throw new PolicyError(
      merged.conflicts.map((conflict) => {
        const [, second] = conflict.files;
        const line = byFile.get(second)?.lineOf(merged.origin(conflict.path)?.path ?? []);
        return {
          ...fileIssue(second, conflict.message, 'define each name and setting in one file only', line),
          path: formatPath(conflict.path),
        };
      }),
    );
  }
  return compilePolicy(merged.value, {
    ...options,
    file: directory,
    files: parsed.map((p) => p.file),
    policyDir: path.resolve(directory),
    locate,
  });
}

function unreadable(file: string, error: unknown, what: string): PolicyError {
  const code = (error as NodeJS.ErrnoException).code;
  return new PolicyError([
    fileIssue(
      file,
      code === 'ENOENT' ? `${what} does not exist` : `cannot read ${what}: ${(error as Error).message}`,
      'check the --policy path (it is resolved against the working directory)',
    ),
  ]);
}

/** The policy files of a directory, sorted by name (the merge order). */
export async function listPolicyFiles(directory: string): Promise<string[]> {
  const names = (await readdir(directory)).filter((name) => POLICY_FILE_PATTERN.test(name)).sort();
  return names.map((name) => path.join(directory, name));
}

/** Loads a policy file, or every `*.yaml` / `*.yml` file of a directory merged into one policy. */
export async function loadPolicyFile(file: string, options: LoadOptions = {}): Promise<Policy> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(file)).isDirectory();
  } catch (error) {
    throw unreadable(file, error, 'policy file');
  }
  if (!isDirectory) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw unreadable(file, error, 'policy file');
    }
    return compilePolicyText(text, file, options);
  }
  let files: string[];
  try {
    files = await listPolicyFiles(file);
  } catch (error) {
    throw unreadable(file, error, 'policy directory');
  }
  if (files.length === 0) {
    throw new PolicyError([
      fileIssue(file, 'policy directory has no .yaml or .yml files', 'put the policy files at its top level'),
    ]);
  }
  const texts: { file: string; text: string }[] = [];
  for (const f of files) {
    try {
      texts.push({ file: f, text: await readFile(f, 'utf8') });
    } catch (error) {
      // A file removed between listing and reading (a ConfigMap update in flight): the next reload sees the rest.
      throw unreadable(f, error, 'policy file');
    }
  }
  return compilePolicyFiles(texts, file, options);
}
