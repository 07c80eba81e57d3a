// Parses OpenAI chat-completions (and legacy completions) request bodies into a typed request; rewrites `model`.
import { InvalidRequestError } from '../errors.ts';

export interface ChatMessage {
  readonly role: string;
  /** Text of the message; multi-part content has its text parts joined by newlines. */
  readonly text: string;
  readonly imageCount: number;
  readonly toolCallCount: number;
}

export interface ParsedRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  /** Number of tools (functions) the client declared. */
  readonly toolCount: number;
  /** The request's `metadata` object (OpenAI allows string values; other JSON is tolerated). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The whole JSON body, untouched, so fields the router does not know survive the rewrite. */
  readonly body: Readonly<Record<string, unknown>>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function decodeJsonBody(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new InvalidRequestError('Request body is not valid UTF-8', 'invalid_encoding', cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidRequestError(
      `Request body is not valid JSON: ${(cause as Error).message}`,
      'invalid_json',
      cause,
    );
  }
  if (!isObject(value)) throw new InvalidRequestError('Request body must be a JSON object', 'invalid_json');
  return value;
}

function parseContent(content: unknown, where: string): { text: string; imageCount: number } {
  if (content === undefined || content === null) return { text: '', imageCount: 0 };
  if (typeof content === 'string') return { text: content, imageCount: 0 };
  if (!Array.isArray(content))
    throw new InvalidRequestError(`${where}.content must be a string or an array of parts`);
  const texts: string[] = [];
  let imageCount = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'image_url' || part.type === 'input_image' || part.type === 'image') imageCount++;
  }
  return { text: texts.join('\n'), imageCount };
}

function parseMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw)) throw new InvalidRequestError("'messages' must be an array", 'missing_messages');
  if (raw.length === 0) throw new InvalidRequestError("'messages' must not be empty", 'missing_messages');
  return raw.map((message, index) => {
    const where = `messages[${index}]`;
    if (!isObject(message) || typeof message.role !== 'string') {
      throw new InvalidRequestError(`${where} must be an object with a string 'role'`);
    }
    const { text, imageCount } = parseContent(message.content, where);
    const toolCallCount = Array.isArray(message.tool_calls) ? message.tool_calls.length : 0;
    return { role: message.role, text, imageCount, toolCallCount };
  });
}

/** Parses a chat completions body (`messages`) or a legacy completions body (`prompt`). */
export function parseOpenAIRequest(
  body: Record<string, unknown>,
  path = '/v1/chat/completions',
): ParsedRequest {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) {
    throw new InvalidRequestError("'model' must be a non-empty string", 'missing_model');
  }
  let messages: ChatMessage[];
  if (path.startsWith('/v1/completions') && 'prompt' in body) {
    const prompt = Array.isArray(body.prompt)
      ? body.prompt.filter((p) => typeof p === 'string').join('\n')
      : body.prompt;
    if (typeof prompt !== 'string')
      throw new InvalidRequestError("'prompt' must be a string or array of strings");
    messages = [{ role: 'user', text: prompt, imageCount: 0, toolCallCount: 0 }];
  } else {
    messages = parseMessages(body.messages);
  }
  return {
    model,
    messages,
    stream: body.stream === true,
    toolCount: Array.isArray(body.tools) ? body.tools.length : 0,
    metadata: isObject(body.metadata) ? body.metadata : {},
    body,
  };
}

/** The body with `model` replaced, serialised as compact JSON. */
export function rewriteModel(request: ParsedRequest, providerModelId: string): Buffer {
  return Buffer.from(JSON.stringify({ ...request.body, model: providerModelId }), 'utf8');
}
