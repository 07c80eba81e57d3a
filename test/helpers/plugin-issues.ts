// A policy's load issues, split by severity, whether the load succeeded or was refused.
import { PolicyError, type PolicyIssue } from '../../src/errors.ts';
import type { LoadOptions } from '../../src/policy/load-policy.ts';
import { compilePluginPolicy, type PluginDocument } from './peer-plugin-fragment.ts';

export async function pluginIssues(
  plugins: readonly PluginDocument[],
  options: LoadOptions = {},
  file?: string,
): Promise<{ errors: PolicyIssue[]; warnings: PolicyIssue[] }> {
  try {
    const policy = await compilePluginPolicy(plugins, options, file);
    policy.close();
    return { errors: [], warnings: [...policy.warnings] };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return {
      errors: error.issues.filter((i) => i.severity === 'error'),
      warnings: error.issues.filter((i) => i.severity === 'warning'),
    };
  }
}
