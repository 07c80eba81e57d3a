// The typed view of one request that every signal reads: headers, path and the parsed body, with text views cached.
import type { ParsedRequest } from './openai-request.ts';

export interface RequestContext {
  readonly method: string;
  readonly path: string;
  /** Request headers, lower-case names, routing headers from the client already removed. */
  readonly headers: ReadonlyMap<string, string>;
  readonly request: ParsedRequest;
  /** Text of the last user message: what most signals classify (capped, see MAX_SIGNAL_TEXT_CHARS). */
  readonly lastUserText: string;
  /** Text of all user messages, oldest first, newline-joined (capped, see MAX_SIGNAL_TEXT_CHARS). */
  readonly allUserText: string;
  /** Text of every message (system, user, assistant, tool): what the context window must hold. */
  readonly conversationText: string;
  /** Estimated prompt tokens of the whole conversation. */
  readonly promptTokens: number;
  /** Whether the client asked for debug headers (`x-router-debug: true`). */
  readonly debug: boolean;
}

/**
 * Token estimate without a tokenizer. BPE vocabularies average ~4 characters of Latin-script text per token,
 * ~2 for other alphabets (Greek, Cyrillic, Arabic, Hebrew, Indic, Thai) and ~1 for CJK characters; an emoji (a
 * surrogate pair) costs about one token.
 */
export function estimateTokens(text: string): number {
  let latin = 0;
  let alphabetic = 0;
  let wide = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x0370) latin++;
    else if (code < 0x2e80) alphabetic++;
    else if (code >= 0xd800 && code <= 0xdfff) wide += 0.5;
    else wide++;
  }
  return Math.ceil(latin / 4 + alphabetic / 2 + wide);
}

/**
 * Text signals look at no more than this many characters, so a multi-megabyte prompt costs bounded time on the
 * event loop. Prompts are capped head-and-tail: instructions tend to sit at the start and the question at the end.
 */
export const MAX_SIGNAL_TEXT_CHARS = 64 * 1024;

export function capSignalText(text: string): string {
  if (text.length <= MAX_SIGNAL_TEXT_CHARS) return text;
  const head = Math.floor(MAX_SIGNAL_TEXT_CHARS * 0.75);
  return `${text.slice(0, head)}\n${text.slice(text.length - (MAX_SIGNAL_TEXT_CHARS - head - 1))}`;
}

export function buildRequestContext(options: {
  method: string;
  path: string;
  headers: ReadonlyMap<string, string>;
  request: ParsedRequest;
  debug?: boolean;
}): RequestContext {
  const { request } = options;
  const userTexts = request.messages.filter((m) => m.role === 'user').map((m) => m.text);
  const conversationText = request.messages.map((m) => m.text).join('\n');
  return {
    method: options.method,
    path: options.path,
    headers: options.headers,
    request,
    lastUserText: capSignalText(userTexts.at(-1) ?? ''),
    allUserText: capSignalText(userTexts.join('\n')),
    conversationText,
    promptTokens: estimateTokens(conversationText) + request.messages.length * 4,
    debug: options.debug ?? false,
  };
}
