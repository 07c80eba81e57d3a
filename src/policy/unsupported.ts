// "No guardrail is ever silently ignored": vLLM Semantic Router plugins this router does not implement are sorted
// into guardrails (a policy error, downgraded to a warning only with --allow-unsupported), plugins the issue says
// must be rejected until they exist (the response cache), and the rest (a warning: routing is unchanged).
import { externalBackendProblem } from '../plugins/external-backend-plugins.ts';
import type { RuleProblem } from '../signals/signal-family.ts';
import type { IssueCollector, PathSegment } from './issues.ts';

/** Safety checks: a policy that asks for one and does not get it would let through what it means to stop. */
export const UNSUPPORTED_GUARDRAIL_PLUGINS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** Rejected rather than ignored: an author relying on them would get a different product silently. */
const REJECTED_PLUGINS: ReadonlyMap<string, string> = new Map<string, string>([]);

export const ALLOW_UNSUPPORTED_HINT =
  'remove the plugin, or start with --allow-unsupported to load the policy without it (a warning at every load)';

/**
 * Reports a plugin type the router knows of but does not implement: an error for guardrails and rejected plugins
 * unless `allowUnsupported`, where it becomes a warning saying the plugin does nothing; a warning otherwise.
 */
export function reportUnsupportedPlugin(
  type: string,
  path: readonly PathSegment[],
  issues: IssueCollector,
  allowUnsupported: boolean,
  configuration: Readonly<Record<string, unknown>> = {},
): void {
  const guardrail = UNSUPPORTED_GUARDRAIL_PLUGINS.get(type);
  const rejected = REJECTED_PLUGINS.get(type) ?? externalBackendProblem(type, configuration);
  if (guardrail === undefined && rejected === undefined) {
    issues.warning(path, `plugin '${type}' is not supported yet and is ignored`);
    return;
  }
  const what =
    guardrail !== undefined
      ? `guardrail plugin '${type}' (${guardrail}) is not implemented by this router`
      : `plugin '${type}' is not supported: ${rejected}`;
  if (allowUnsupported) issues.warning(path, `${what}; loaded WITHOUT it because of --allow-unsupported`);
  else issues.error(path, what, ALLOW_UNSUPPORTED_HINT);
}

/**
 * Reports a signal family's load warning: one that says a safety or privacy rule can never match is an error
 * unless `allowUnsupported` (then a warning saying the guardrail is not applied).
 */
export function reportRuleWarning(
  warning: RuleProblem,
  path: readonly PathSegment[],
  issues: IssueCollector,
  allowUnsupported: boolean,
): void {
  if (!warning.unsupportedGuardrail) issues.warning(path, warning.message, warning.hint);
  else if (allowUnsupported)
    issues.warning(path, `${warning.message}; loaded anyway because of --allow-unsupported`, warning.hint);
  else
    issues.error(
      path,
      warning.message,
      `${warning.hint ? `${warning.hint}; ` : ''}${ALLOW_UNSUPPORTED_HINT}`,
    );
}
