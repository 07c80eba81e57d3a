// The tools a request declares, whatever API declared them: their names and texts for relevance, and body patches
// that keep some of them without ever leaving `tool_choice` pointing at a tool that is gone.
import type { LlmApi } from '../../request/apis/index.ts';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Chat nests the definition under `function`; Responses and Anthropic put it at the top. */
function definitionOf(tool: unknown): JsonObject | undefined {
  if (!isObject(tool)) return undefined;
  if (isObject(tool.function)) return tool.function;
  if (isObject(tool.custom)) return tool.custom;
  return tool;
}

/** A declared tool's name; built-in tools without one (Responses `web_search`) go by their type. */
export function toolName(tool: unknown): string | undefined {
  const definition = definitionOf(tool);
  if (definition === undefined) return undefined;
  if (typeof definition.name === 'string' && definition.name.length > 0) return definition.name;
  if (isObject(tool) && typeof tool.type === 'string') return tool.type;
  return undefined;
}

/** What relevance is measured on: the tool's name and description. */
export function toolText(tool: unknown): string {
  const definition = definitionOf(tool);
  const name = toolName(tool) ?? '';
  const description = typeof definition?.description === 'string' ? definition.description : '';
  return description.length > 0 ? `${name}: ${description}` : name;
}

export function declaredTools(body: Readonly<JsonObject>): readonly unknown[] {
  return Array.isArray(body.tools) ? body.tools : [];
}

/** The tool `tool_choice` forces, in any API's shape; undefined for auto / none / required / any. */
export function forcedToolName(body: Readonly<JsonObject>): string | undefined {
  const choice = body.tool_choice;
  if (!isObject(choice)) return undefined;
  if (isObject(choice.function) && typeof choice.function.name === 'string') return choice.function.name;
  return typeof choice.name === 'string' ? choice.name : undefined;
}

function autoChoice(api: LlmApi): unknown {
  return api === 'messages' ? { type: 'auto' } : 'auto';
}

/**
 * Keeps the declared tools `keep` accepts (by name). A `tool_choice` naming a removed tool becomes `auto`; with no
 * tool left, `tools`, `tool_choice` and `parallel_tool_calls` are removed (upstreams reject them without tools).
 */
export function keepTools(api: LlmApi, body: JsonObject, keep: (name: string | undefined) => boolean): void {
  if (!Array.isArray(body.tools)) return;
  const kept = body.tools.filter((tool) => keep(toolName(tool)));
  if (kept.length === body.tools.length) return;
  if (kept.length === 0) {
    removeAllTools(body);
    return;
  }
  body.tools = kept;
  const forced = forcedToolName(body);
  if (forced !== undefined && !keep(forced)) body.tool_choice = autoChoice(api);
}

/** Upstreams reject `tool_choice` and `parallel_tool_calls` in a request without tools. */
export function removeAllTools(body: JsonObject): void {
  delete body.tools;
  delete body.tool_choice;
  delete body.parallel_tool_calls;
}

/** Adds tools not already declared (by name), keeping the client's own first. */
export function addTools(body: JsonObject, tools: readonly unknown[]): void {
  const existing = declaredTools(body);
  const names = new Set(existing.map(toolName));
  const added = tools.filter((tool) => !names.has(toolName(tool)));
  if (added.length > 0) body.tools = [...existing, ...added];
}
