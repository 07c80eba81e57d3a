// Removes earlier tool calls and their results from a conversation, so a route that must not send tool traffic to
// its provider (privacy) forwards only the natural-language turns.
import type { LlmApi } from '../../request/apis/index.ts';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasText(content: unknown): boolean {
  if (typeof content === 'string') return content.trim().length > 0;
  return Array.isArray(content) && content.length > 0;
}

/** Chat: `tool`/`function` messages go; assistant messages lose `tool_calls` and go when nothing else is left. */
function stripChat(messages: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const message of messages) {
    if (!isObject(message)) {
      out.push(message);
      continue;
    }
    if (message.role === 'tool' || message.role === 'function') continue;
    if (message.tool_calls === undefined && message.function_call === undefined) {
      out.push(message);
      continue;
    }
    const { tool_calls: _calls, function_call: _call, ...rest } = message;
    if (hasText(rest.content)) out.push(rest);
  }
  return out;
}

/** Responses input items of tool traffic: `function_call`, `function_call_output`, `mcp_call`, `web_search_call`… */
function isToolItem(item: unknown): boolean {
  if (!isObject(item) || typeof item.type !== 'string') return false;
  return item.type.endsWith('_call') || item.type.endsWith('_call_output') || item.type.startsWith('mcp_');
}

/** Anthropic content blocks of tool traffic: `tool_use`, `tool_result`, server tool use and its results. */
function isToolBlock(block: unknown): boolean {
  if (!isObject(block) || typeof block.type !== 'string') return false;
  return (
    block.type.endsWith('tool_use') || block.type.endsWith('tool_result') || block.type.startsWith('mcp_')
  );
}

function stripMessages(messages: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const message of messages) {
    if (!isObject(message) || !Array.isArray(message.content)) {
      out.push(message);
      continue;
    }
    const content = message.content.filter((block) => !isToolBlock(block));
    if (content.length === message.content.length) out.push(message);
    else if (content.length > 0) out.push({ ...message, content });
  }
  return out;
}

export function stripToolHistory(api: LlmApi, body: JsonObject): void {
  if (api === 'chat_completions' && Array.isArray(body.messages)) body.messages = stripChat(body.messages);
  else if (api === 'messages' && Array.isArray(body.messages)) body.messages = stripMessages(body.messages);
  else if (api === 'responses' && Array.isArray(body.input))
    body.input = body.input.filter((i) => !isToolItem(i));
}
