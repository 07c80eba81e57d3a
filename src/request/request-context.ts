// The typed view of one request that every signal reads: headers, path, caller and the parsed body, with text views.
import type { CallerIdentity } from './identity.ts';
import type { ParsedRequest } from './openai-request.ts';

/** The typed view of one request that every signal reads: the fields of BuiltRequestContext (below). */
export type RequestContext = { readonly [K in keyof BuiltRequestContext]: BuiltRequestContext[K] };

/**
 * Token estimate without a tokenizer. BPE vocabularies average ~4 characters of Latin-script text per token,
 * ~2 for other alphabets (Greek, Cyrillic, Arabic, Hebrew, Indic, Thai) and ~1 for CJK characters; an emoji (a
 * surrogate pair) costs about one token.
 */
export function estimateTokens(text: string): number {
  return estimateJoinedTokens([text]);
}

/** Any character the estimate does not count as Latin script. */
const BEYOND_LATIN = /[\u0370-\uffff]/;
/** Runs of such characters: on a long text the regex skips the Latin between them faster than a loop reads it. */
const BEYOND_LATIN_RUNS = /[\u0370-\uffff]+/g;
/** From this length on, a text is counted run by run; below it the per-match cost outweighs the skipping. */
const RUN_COUNT_MIN_CHARS = 4096;

/** Character counts by script class, added up over the texts of one estimate. */
class ScriptCounts {
  alphabetic = 0;
  wide = 0;
  surrogates = 0;

  add(text: string, from: number, to: number): void {
    // Locals in the loop: a field updated per character is stored back on every step.
    let alphabetic = 0;
    let wide = 0;
    let surrogates = 0;
    for (let i = from; i < to; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x0370) {
        if (code < 0x2e80) alphabetic++;
        else if (code >= 0xd800 && code <= 0xdfff) surrogates++;
        else wide++;
      }
    }
    this.alphabetic += alphabetic;
    this.wide += wide;
    this.surrogates += surrogates;
  }

  addRuns(text: string): void {
    BEYOND_LATIN_RUNS.lastIndex = 0;
    for (let run = BEYOND_LATIN_RUNS.exec(text); run !== null; run = BEYOND_LATIN_RUNS.exec(text))
      this.add(text, run.index, BEYOND_LATIN_RUNS.lastIndex);
  }
}

/** estimateTokens of the texts joined with newlines, without joining them. */
export function estimateJoinedTokens(texts: readonly string[]): number {
  // The newlines between the texts are Latin-script characters.
  let characters = Math.max(0, texts.length - 1);
  const counts = new ScriptCounts();
  // Latin is the rest: most prompts are nearly all Latin, and one test per character is about twice as fast.
  for (const text of texts) {
    characters += text.length;
    // A string V8 holds as one byte per character cannot match: the regex answers without reading it.
    if (!BEYOND_LATIN.test(text)) continue;
    if (text.length >= RUN_COUNT_MIN_CHARS) counts.addRuns(text);
    else counts.add(text, 0, text.length);
  }
  const { alphabetic, wide, surrogates } = counts;
  const latin = characters - alphabetic - wide - surrogates;
  return Math.ceil(latin / 4 + alphabetic / 2 + (wide + surrogates / 2));
}

/**
 * Routing signals (domain, language, embeddings, …) look at no more than this many characters, so a multi-megabyte
 * prompt costs bounded time on the event loop. Prompts are capped head-and-tail: instructions tend to sit at the
 * start and the question at the end. Guard families never read capped text: they scan `guardTexts` whole.
 */
export const MAX_SIGNAL_TEXT_CHARS = 64 * 1024;

export function capSignalText(text: string): string {
  if (text.length <= MAX_SIGNAL_TEXT_CHARS) return text;
  const head = Math.floor(MAX_SIGNAL_TEXT_CHARS * 0.75);
  return `${text.slice(0, head)}\n${text.slice(text.length - (MAX_SIGNAL_TEXT_CHARS - head - 1))}`;
}

/** Where a piece of request text comes from, as guard rules select it (`roles`). */
export type GuardTextRole = 'system' | 'user' | 'assistant' | 'tool' | 'tools';

export const GUARD_TEXT_ROLES: readonly GuardTextRole[] = ['system', 'user', 'assistant', 'tool', 'tools'];

export interface GuardText {
  /** The message's role (`developer` counts as system; unknown roles as user); `tools` = tool definitions. */
  readonly role: GuardTextRole;
  readonly text: string;
}

function guardRole(role: string): GuardTextRole {
  switch (role) {
    case 'system':
    case 'developer':
      return 'system';
    case 'assistant':
    case 'tool':
      return role;
    default:
      // Unknown roles still reach the model: scan them like user text.
      return 'user';
  }
}

function guardTextsOf(request: ParsedRequest): GuardText[] {
  const texts: GuardText[] = [];
  for (const message of request.messages) {
    const role = guardRole(message.role);
    if (message.text.length > 0) texts.push({ role, text: message.text });
    if (message.toolText.length > 0) texts.push({ role, text: message.toolText });
  }
  if (request.toolText.length > 0) texts.push({ role: 'tools', text: request.toolText });
  return texts;
}

export interface RequestContextOptions {
  method: string;
  path: string;
  headers: ReadonlyMap<string, string>;
  request: ParsedRequest;
  bodyBytes?: Uint8Array;
  identity?: CallerIdentity | undefined;
  debug?: boolean;
  /** The prompt-token estimate when already computed (large bodies: by the body-decoding worker). */
  promptTokens?: number;
}

export function buildRequestContext(options: RequestContextOptions): RequestContext {
  return new BuiltRequestContext(options);
}

// A class rather than an object literal: V8 builds a literal with getters through a slow runtime path and keeps it
// in dictionary mode, so every signal's read of a context field was a hash lookup (routing in process: -7 to -13 %).
class BuiltRequestContext {
  readonly method: string;
  readonly path: string;
  /** Request headers, lower-case names, routing headers from the client already removed. */
  readonly headers: ReadonlyMap<string, string>;
  readonly request: ParsedRequest;
  /** The body as received (the rewrite keeps the bytes of every member it does not change); absent in tools. */
  readonly bodyBytes?: Uint8Array;
  /** The caller, from the policy's trusted identity source only; undefined when anonymous. */
  readonly identity: CallerIdentity | undefined;
  /** Text of the last user message: what routing signals classify (capped, see MAX_SIGNAL_TEXT_CHARS). */
  readonly lastUserText: string;
  /** The whole last user message, uncapped: what guard families scan (in chunks, see signals/text-scan.ts). */
  readonly lastUserFullText: string;
  /** Every user message, whole, oldest first. */
  readonly userFullTexts: readonly string[];
  /**
   * Every piece of text the request carries upstream, whole: system prompts and instructions, every message of
   * every role, tool calls and tool results, and the declared tools. What privacy and safety scans read.
   */
  readonly guardTexts: readonly GuardText[];
  /** Estimated prompt tokens of the whole conversation. */
  readonly promptTokens: number;
  /** Whether the client asked for debug headers (`x-router-debug: true`). */
  readonly debug: boolean;
  readonly #messageTexts: readonly string[];
  #allUserText: string | undefined;
  #conversationText: string | undefined;

  constructor(options: RequestContextOptions) {
    const { request } = options;
    const userTexts = request.messages.filter((m) => m.role === 'user').map((m) => m.text);
    const messageTexts = request.messages.map((m) => m.text);
    let toolChars = 0;
    for (const message of request.messages) toolChars += message.toolText.length;
    const lastUser = userTexts.at(-1) ?? '';
    this.method = options.method;
    this.path = options.path;
    this.headers = options.headers;
    this.request = request;
    this.bodyBytes = options.bodyBytes;
    this.identity = options.identity;
    this.lastUserText = capSignalText(lastUser);
    this.lastUserFullText = lastUser;
    this.userFullTexts = userTexts;
    this.guardTexts = guardTextsOf(request);
    this.#messageTexts = messageTexts;
    // Tool definitions and tool-call arguments fill the context window too (≈4 characters per token).
    this.promptTokens =
      options.promptTokens ??
      estimateJoinedTokens(messageTexts) +
        Math.ceil((toolChars + request.toolText.length) / 4) +
        request.messages.length * 4;
    this.debug = options.debug ?? false;
  }

  // Joined on first read: no built-in signal reads these, and a long conversation would be copied for nothing.
  /** Text of all user messages, oldest first, newline-joined (capped, see MAX_SIGNAL_TEXT_CHARS). */
  get allUserText(): string {
    this.#allUserText ??= capSignalText(this.userFullTexts.join('\n'));
    return this.#allUserText;
  }

  /** Text of every message (system, user, assistant, tool): what the context window must hold. */
  get conversationText(): string {
    this.#conversationText ??= this.#messageTexts.join('\n');
    return this.#conversationText;
  }
}
