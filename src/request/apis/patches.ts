// Body patches the API adapters share. They replace top-level values (nested ones are shared with the parsed body).
import { isObject, type JsonObject } from './fields.ts';
import type { ReasoningFamily, SystemPromptMode } from './types.ts';

/**
 * The system prompt after adding ours to the client's: `replace` drops the client's, `insert` puts ours first.
 * A string stays a string; an array of text parts (chat parts, Anthropic blocks) gets ours as a leading part.
 */
export function combinedSystemContent(existing: unknown, prompt: string, mode: SystemPromptMode): unknown {
  if (mode === 'replace') return prompt;
  if (typeof existing === 'string') return existing.length > 0 ? `${prompt}\n\n${existing}` : prompt;
  if (Array.isArray(existing) && existing.length > 0) return [{ type: 'text', text: prompt }, ...existing];
  return prompt;
}

/** vLLM's `chat_template_kwargs` extension (chat, completions, Responses and /v1/messages all accept it). */
export function setChatTemplateKwarg(body: JsonObject, parameter: string, value: boolean): void {
  const existing = isObject(body.chat_template_kwargs) ? body.chat_template_kwargs : {};
  body.chat_template_kwargs = { ...existing, [parameter]: value };
}

/** Effort the router asks for when the model ref says `use_reasoning` without an effort. */
export const DEFAULT_REASONING_EFFORT = 'medium';

/**
 * OpenAI chat / completions, as vLLM Semantic Router writes each family type: `chat_template_kwargs` sets the
 * template switch; `reasoning_effort` writes the effort at the parameter's dotted path (`reasoning.effort` →
 * `{reasoning: {effort}}`, `reasoning_effort` → a top-level field); `top_level_reasoning_effort` writes the
 * parameter as one top-level key, dots included.
 */
export function applyTopLevelReasoning(
  body: JsonObject,
  family: ReasoningFamily,
  useReasoning: boolean,
  effort: string | undefined,
): void {
  if (family.type === 'chat_template_kwargs') {
    setChatTemplateKwarg(body, family.parameter, useReasoning);
    return;
  }
  if (!useReasoning) return;
  const level = effort ?? DEFAULT_REASONING_EFFORT;
  if (family.type === 'top_level_reasoning_effort') body[family.parameter] = level;
  else setAtDottedPath(body, family.parameter.split('.'), level);
}

/** Sets a nested value, copying each object on the way (nested values may be shared with the parsed body). */
function setAtDottedPath(body: JsonObject, keys: readonly string[], value: unknown): void {
  const [head, ...rest] = keys;
  if (head === undefined) return;
  if (rest.length === 0) {
    body[head] = value;
    return;
  }
  const existing = body[head];
  const child: JsonObject = isObject(existing) ? { ...existing } : {};
  setAtDottedPath(child, rest, value);
  body[head] = child;
}
