// `semantic-router validate FILE`: every error and warning with file, line, YAML path and a fix.
import { formatPolicyIssue, PolicyError } from '../errors.ts';
import { FragmentError, loadPolicyOrFragment } from '../policy/load-fragment.ts';
import type { Policy } from '../policy/policy.ts';
import { fragmentReport } from './fragment-report.ts';

export interface CommandIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** `, 5 profiles (balanced: 3 decisions, …)`: what the virtual model names route with. */
function profileSummary(policy: Policy): string {
  const recipes = new Map<string, number>();
  for (const profile of policy.profiles.values()) recipes.set(profile.name, profile.decisions.length);
  if (recipes.size === 0) return '';
  const each = [...recipes].map(([name, count]) => `${name}: ${count} decisions`).join(', ');
  return `, ${recipes.size} profiles (${each})`;
}

export async function validateCommand(
  file: string,
  io: CommandIO,
  options: { readonly allowUnsupported?: boolean; readonly base?: string } = {},
): Promise<number> {
  try {
    const { policy, fragment } = await loadPolicyOrFragment(file, {
      ...(options.allowUnsupported && { allowUnsupported: true }),
      ...(options.base !== undefined && { base: options.base }),
    });
    for (const warning of fragment?.warnings ?? policy.warnings) io.err(`${formatPolicyIssue(warning)}\n`);
    if (fragment) {
      io.out(`${file}: ${fragmentReport(fragment.summary, fragment.base, fragment.warnings.length)}\n`);
      policy.close();
      return 0;
    }
    io.out(
      `${file}: valid (${policy.source.format}): ${policy.models.length} models, ${policy.pools.length} pools, ` +
        `${policy.decisions.length} decisions${profileSummary(policy)}` +
        `${policy.warnings.length ? `, ${policy.warnings.length} warning(s)` : ''}\n`,
    );
    policy.close();
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const errors = error.issues.filter((i) => i.severity === 'error');
    for (const issue of error.issues) io.err(`${formatPolicyIssue(issue)}\n`);
    io.err(
      `${file}: invalid${error instanceof FragmentError ? ' fragment' : ''}: ${errors.length} error(s)` +
        `${options.base !== undefined ? ` (merged into ${options.base})` : ''}\n`,
    );
    return 1;
  }
}
