// The `/policy` document: live generation, its source, the last failed reload; secrets redacted.
import { PolicyError } from '../errors.ts';
import type { PolicyGeneration } from '../policy/policy-store.ts';
import { redactSecrets } from './redact.ts';

/** What the admin API reads from the policy store (PolicyStore satisfies it). */
export interface PolicySnapshotSource {
  readonly live: PolicyGeneration;
  readonly reloadError: Error | undefined;
}

export interface ReloadErrorView {
  readonly message: string;
  readonly code?: string;
  readonly issues?: readonly { path: string; line?: number; message: string; hint?: string }[];
}

export interface PolicyView {
  readonly generation: number;
  /** The policy file the live generation was loaded from (first of `files`). */
  readonly source: string | undefined;
  readonly files: readonly string[];
  readonly format: string;
  readonly loadedAt: string;
  /** The validated policy document (YAML as JSON, v0.3 files converted), secret-looking values redacted. */
  readonly policy: unknown;
  /** Present while the newest reload attempt failed; the generation above keeps serving. */
  readonly reloadError?: ReloadErrorView;
}

function reloadErrorView(error: Error): ReloadErrorView {
  const code = (error as { code?: unknown }).code;
  return {
    message: error.message,
    ...(typeof code === 'string' && { code }),
    ...(error instanceof PolicyError && {
      issues: error.issues
        .filter((issue) => issue.severity === 'error')
        .map((issue) => ({
          path: issue.path,
          ...(issue.line !== undefined && { line: issue.line }),
          message: issue.message,
          ...(issue.hint !== undefined && { hint: issue.hint }),
        })),
    }),
  };
}

export function policyView(store: PolicySnapshotSource): PolicyView {
  const { generation, policy, loadedAt } = store.live;
  const error = store.reloadError;
  return {
    generation,
    source: policy.source.files[0],
    files: policy.source.files,
    format: policy.source.format,
    loadedAt: loadedAt.toISOString(),
    policy: redactSecrets(policy.document),
    ...(error && { reloadError: redactSecrets(reloadErrorView(error)) as ReloadErrorView }),
  };
}
