// The `/policy` document: live generation, its source, the last failed reload; secrets redacted and system
// prompts hidden (prompt text is operator IP and may quote credentials).
import { PolicyError } from '../errors.ts';
import type { PluginDocument, PolicyDocument, RoutingDocument } from '../policy/policy-schema.ts';
import type { PolicyGeneration } from '../policy/policy-store.ts';
import { redactSecrets } from './redact.ts';

/** What the admin API reads from the policy store (PolicyStore satisfies it). */
export interface PolicySnapshotSource {
  readonly live: PolicyGeneration;
  readonly reloadError: Error | undefined;
}

export interface PolicyViewOptions {
  /** Show the text of `system_prompt` plugins (still with credentials redacted); default: only its length. */
  readonly showPrompts?: boolean;
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
  /**
   * The validated policy document (YAML as JSON, v0.3 files converted), secret-looking values redacted,
   * system prompts `[HIDDEN: N chars]` unless shown.
   */
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

/** The plugin type whose `configuration.system_prompt` is prompt text (src/plugins/decision-plugin.ts). */
const SYSTEM_PROMPT_PLUGIN = 'system_prompt';

function hiddenText(text: string): string {
  return `[HIDDEN: ${[...text].length} chars]`;
}

function withoutPromptText(plugin: PluginDocument): PluginDocument {
  const prompt = plugin.configuration.system_prompt;
  if (plugin.type !== SYSTEM_PROMPT_PLUGIN || typeof prompt !== 'string') return plugin;
  return { ...plugin, configuration: { ...plugin.configuration, system_prompt: hiddenText(prompt) } };
}

function routingWithoutPromptText(routing: RoutingDocument): RoutingDocument {
  return {
    ...routing,
    decisions: routing.decisions.map((decision) => ({
      ...decision,
      plugins: decision.plugins.map(withoutPromptText),
    })),
  };
}

/**
 * The document with the text of every system prompt, the routing profiles' included, replaced by its length
 * (v0.3 files are converted alike).
 */
function hideSystemPrompts(document: PolicyDocument): PolicyDocument {
  return {
    ...document,
    routing: routingWithoutPromptText(document.routing),
    recipes: document.recipes.map((recipe) => ({
      ...recipe,
      routing: routingWithoutPromptText(recipe.routing),
    })),
  };
}

export function policyView(store: PolicySnapshotSource, options: PolicyViewOptions = {}): PolicyView {
  const { generation, policy, loadedAt } = store.live;
  const error = store.reloadError;
  const document = options.showPrompts ? policy.document : hideSystemPrompts(policy.document);
  return {
    generation,
    source: policy.source.files[0],
    files: policy.source.files,
    format: policy.source.format,
    loadedAt: loadedAt.toISOString(),
    policy: redactSecrets(document),
    ...(error && { reloadError: redactSecrets(reloadErrorView(error)) as ReloadErrorView }),
  };
}
