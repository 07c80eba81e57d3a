// What `validate` loads: a policy (file or directory), or a fragment of one (src/policy/fragment.ts), alone in the
// minimal base or merged into a real policy (`--base FILE`). Errors name the fragment's own lines.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PolicyError, type PolicyIssue } from '../errors.ts';
import { loadAllSignalFamilies } from '../signals/index.ts';
import { compilePolicy } from './compile-policy.ts';
import {
  type CompletedFragment,
  type FragmentSummary,
  fragmentForBase,
  isPolicyFragment,
  standaloneFragmentPolicy,
} from './fragment.ts';
import { formatPath, type Locator } from './issues.ts';
import { type LoadOptions, loadPolicyFile, type ParsedYaml, parseYaml } from './load-policy.ts';
import { mergePolicyDocuments } from './merge-policy-documents.ts';
import type { Policy } from './policy.ts';

export interface FragmentLoadOptions extends LoadOptions {
  /** A policy file the fragment is merged into instead of the minimal base. */
  readonly base?: string;
}

export interface LoadedPolicy {
  readonly policy: Policy;
  /**
   * Set when the file was a fragment: what it holds, the base policy it was merged into (if any), and the policy's
   * warnings about the fragment itself (those about what the minimal base added, e.g. a placeholder complexity
   * rule's unused levels, are left out).
   */
  readonly fragment?: {
    readonly summary: FragmentSummary;
    readonly base?: string;
    readonly warnings: readonly PolicyIssue[];
  };
}

/** A fragment that does not validate: the same issues as a policy's, so callers can say "fragment". */
export class FragmentError extends PolicyError {}

async function asFragmentError<T>(load: Promise<T>): Promise<T> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof PolicyError && !(error instanceof FragmentError))
      throw new FragmentError(error.issues);
    throw error;
  }
}

function fileError(file: string, message: string, hint: string): PolicyError {
  return new PolicyError([{ file, path: '', message, hint, severity: 'error' }]);
}

async function readYaml(file: string, what: string): Promise<ParsedYaml> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw fileError(
      file,
      missing ? `${what} does not exist` : `cannot read ${what}: ${(error as Error).message}`,
      'check the path (it is resolved against the working directory)',
    );
  }
  return parseYaml(text, file);
}

/** Locates a path of the completed fragment in the fragment file; what the base added has no line. */
function fragmentLocator(parsed: ParsedYaml, completed: CompletedFragment): Locator {
  return (segments) => {
    const inFragment = completed.fragmentPath(segments);
    return inFragment === undefined ? undefined : { file: parsed.file, line: parsed.lineOf(inFragment) };
  };
}

async function loadStandalone(parsed: ParsedYaml, options: LoadOptions): Promise<LoadedPolicy> {
  await loadAllSignalFamilies();
  const completed = standaloneFragmentPolicy(parsed.value as Record<string, unknown>);
  const policy = await compilePolicy(completed.document, {
    ...options,
    file: parsed.file,
    policyDir: path.dirname(path.resolve(parsed.file)),
    locate: fragmentLocator(parsed, completed),
  });
  // The base's own parts have no line in the fragment: warnings about them are artefacts of the base.
  const warnings = policy.warnings.filter((w) => w.line !== undefined);
  return { policy, fragment: { summary: completed.summary, warnings } };
}

async function loadIntoBase(
  parsed: ParsedYaml,
  baseFile: string,
  options: LoadOptions,
): Promise<LoadedPolicy> {
  const base = await readYaml(baseFile, 'base policy file');
  if (isPolicyFragment(base.value))
    throw fileError(
      baseFile,
      'the base is itself a fragment',
      'give a whole policy (with its models) as --base',
    );
  await loadAllSignalFamilies();
  const completed = fragmentForBase(parsed.value as Record<string, unknown>, base.value);
  const merged = mergePolicyDocuments([
    { file: base.file, value: base.value },
    { file: parsed.file, value: completed.document },
  ]);
  const locateFragment = fragmentLocator(parsed, completed);
  const locate: Locator = (segments) => {
    const origin = merged.origin(segments);
    if (origin === undefined) return undefined;
    if (origin.file === base.file) return { file: base.file, line: base.lineOf(origin.path) };
    return locateFragment(origin.path);
  };
  if (merged.conflicts.length > 0) {
    throw new PolicyError(
      merged.conflicts.map(
        (conflict): PolicyIssue => ({
          file: parsed.file,
          path: formatPath(conflict.path),
          message: conflict.message,
          hint: 'the fragment redefines a name the base policy has: rename it or drop it from one of them',
          severity: 'error',
          ...(locate(conflict.path)?.line !== undefined && { line: locate(conflict.path)?.line }),
        }),
      ),
    );
  }
  const policy = await compilePolicy(merged.value, {
    ...options,
    file: parsed.file,
    files: [base.file, parsed.file],
    policyDir: path.dirname(path.resolve(base.file)),
    locate,
  });
  return { policy, fragment: { summary: completed.summary, base: baseFile, warnings: policy.warnings } };
}

/**
 * Loads a policy file or directory, or a fragment (see fragment.ts): alone in the minimal base, or merged into
 * `options.base`. Throws PolicyError listing every problem.
 */
export async function loadPolicyOrFragment(
  file: string,
  options: FragmentLoadOptions = {},
): Promise<LoadedPolicy> {
  const { base, ...loadOptions } = options;
  const isDirectory = await stat(file).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDirectory) {
    if (base !== undefined)
      throw fileError(file, '--base merges one fragment file, not a directory', 'give a fragment file');
    return { policy: await loadPolicyFile(file, loadOptions) };
  }
  const parsed = await readYaml(file, 'policy file');
  if (!isPolicyFragment(parsed.value)) {
    if (base !== undefined)
      throw fileError(
        file,
        'not a fragment: --base merges a fragment (only routing.signals, routing.decisions, plugin(s), algorithm, global)',
        'validate a whole policy without --base',
      );
    const locate: Locator = (segments) => ({ line: parsed.lineOf(segments) });
    const policyDir = path.dirname(path.resolve(file));
    return { policy: await compilePolicy(parsed.value, { ...loadOptions, file, policyDir, locate }) };
  }
  return asFragmentError(
    base === undefined ? loadStandalone(parsed, loadOptions) : loadIntoBase(parsed, base, loadOptions),
  );
}
