// Field readers the API adapters share: typed access to client JSON that throws only InvalidRequestError.
import { InvalidRequestError } from '../../errors.ts';
import type { ChatMessage, LlmApi, ParsedRequest } from './types.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a number`, `an array`, `null`, … for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

export function readModel(body: JsonObject): string {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) {
    throw new InvalidRequestError(
      `'model' must be a non-empty string (got ${describe(model)})`,
      'missing_model',
    );
  }
  return model;
}

export function readStream(body: JsonObject): boolean {
  return body.stream === true;
}

export function readMetadata(body: JsonObject): Readonly<JsonObject> {
  return isObject(body.metadata) ? body.metadata : {};
}

/** An optional non-negative integer field (a token cap); null counts as absent, as the SDKs send it. */
export function readTokenCap(body: Readonly<JsonObject>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidRequestError(`'${field}' must be a non-negative integer (got ${describe(value)})`);
  }
  return value;
}

/** JSON text of a value taken from a parsed body (depth already bounded by decodeJsonBody). */
export function jsonText(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch (cause) {
    throw new InvalidRequestError(`${where} cannot be serialised as JSON`, 'invalid_request', cause);
  }
}

export function message(
  role: string,
  text: string,
  imageCount = 0,
  toolCallCount = 0,
  toolText = '',
): ChatMessage {
  return { role, text, imageCount, toolCallCount, toolText };
}

/** `name arguments` of one tool call, the line format of `ChatMessage.toolText`. */
export function toolCallLine(name: unknown, args: unknown, where: string): string {
  const fn = typeof name === 'string' ? name : '';
  const rendered = args === undefined || args === null ? '' : jsonText(args, where);
  return rendered.length > 0 ? (fn.length > 0 ? `${fn} ${rendered}` : rendered) : fn;
}

/** Text of a declared tool, whatever API declared it: name, description and schema. */
function declaredToolText(tool: unknown, where: string): string {
  if (!isObject(tool)) return '';
  // Chat nests the definition (`{type: 'function', function: {...}}`); Responses and Anthropic do not.
  const spec = isObject(tool.function) ? tool.function : isObject(tool.custom) ? tool.custom : tool;
  const lines: string[] = [];
  for (const key of ['name', 'server_label', 'description', 'server_description']) {
    const value = spec[key];
    if (typeof value === 'string' && value.length > 0) lines.push(value);
  }
  if (lines.length === 0 && typeof tool.type === 'string') lines.push(tool.type);
  // Function parameters (OpenAI), input_schema (Anthropic), the grammar of a custom tool (OpenAI).
  const schema = spec.parameters ?? spec.input_schema ?? spec.format;
  if (schema !== undefined && schema !== null) lines.push(jsonText(schema, `${where} schema`));
  return lines.join('\n');
}

/** Count and text of the tools declared in `field` (a non-array is tolerated as none, as the upstreams do). */
export function readDeclaredTools(body: JsonObject, field = 'tools'): { count: number; text: string } {
  const tools = body[field];
  if (!Array.isArray(tools)) return { count: 0, text: '' };
  const texts: string[] = [];
  tools.forEach((tool, index) => {
    const text = declaredToolText(tool, `${field}[${index}]`);
    if (text.length > 0) texts.push(text);
  });
  return { count: tools.length, text: texts.join('\n') };
}

/** Joins texts with newlines, skipping empty ones. */
export function joinText(texts: readonly string[]): string {
  return texts.filter((t) => t.length > 0).join('\n');
}

/** What an API's parser read; the fields every API shares are read here the same way. */
export interface ParsedParts {
  readonly model: string;
  readonly messages: ChatMessage[];
  readonly tools: { readonly count: number; readonly text: string };
  readonly maxOutputTokens: number | undefined;
}

export function parsedRequest(api: LlmApi, body: JsonObject, parts: ParsedParts): ParsedRequest {
  return {
    api,
    model: parts.model,
    messages: parts.messages,
    stream: readStream(body),
    toolCount: parts.tools.count,
    toolText: parts.tools.text,
    maxOutputTokens: parts.maxOutputTokens,
    metadata: readMetadata(body),
    body,
  };
}
