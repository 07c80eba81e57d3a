// Reads a policy file, parses its YAML keeping positions for error messages, and compiles it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { PolicyError, type PolicyIssue } from '../errors.ts';
import { type CompileOptions, compilePolicy } from './compile-policy.ts';
import type { PathSegment } from './issues.ts';
import type { Policy } from './policy.ts';

export type LoadOptions = Pick<CompileOptions, 'signalTimeoutMs' | 'sessionPool' | 'builtinModelsDir'>;

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

/** Parses and compiles policy text; `file` names it in errors. */
export async function compilePolicyText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<Policy> {
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
  const locate = (segments: readonly PathSegment[]): number | undefined => {
    // The deepest node that exists on the path: a missing key is reported at its parent.
    for (let depth = segments.length; depth >= 0; depth--) {
      const node = document.getIn(segments.slice(0, depth), true) as YamlNode | undefined;
      if (node && (isMap(node) || isSeq(node) || 'range' in node) && node.range) {
        return lineCounter.linePos(node.range[0]).line;
      }
    }
    return undefined;
  };
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PolicyError([fileIssue(file, `YAML: ${(error as Error).message}`)]);
  }
  return compilePolicy(raw, { ...options, file, policyDir: path.dirname(path.resolve(file)), locate });
}

export async function loadPolicyFile(file: string, options: LoadOptions = {}): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolicyError([
      fileIssue(
        file,
        code === 'ENOENT'
          ? 'policy file does not exist'
          : `cannot read policy file: ${(error as Error).message}`,
        'check the --policy path (it is resolved against the working directory)',
      ),
    ]);
  }
  return compilePolicyText(text, file, options);
}
