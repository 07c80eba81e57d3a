// Which stored answers a request may be served: everything that changes the answer must match exactly (hashed),
// only the text of the last user turn may differ, and only for semantic lookups.
import { hash } from 'node:crypto';
import type { RequestContext } from '../../request/request-context.ts';
import type { ResponseCacheConfig } from './cache-config.ts';

/** Body members that change how the answer is delivered or logged, not what it says. */
const DELIVERY_ONLY = new Set(['messages', 'stream', 'stream_options', 'user', 'metadata', 'store']);

export interface CacheKey {
  /** `global`, `tenant:<id>` or `user:<id>`: what the admin endpoint flushes. */
  readonly scope: string;
  /**
   * Hash of scope + everything but the last user turn: the entries a semantic lookup compares against. Computed on
   * first read, as `exact` is: a lookup in an empty cache needs neither.
   */
  readonly bucket: string;
  /**
   * Hash of the bucket and the last user turn: the exact-match key. Computed on first read: hashing a long turn is
   * most of a key's cost, and a lookup in a bucket with no entries needs no exact key.
   */
  readonly exact: string;
  /** Text of the last user turn when it is text only (a semantic lookup compares it); undefined otherwise. */
  readonly queryText: string | undefined;
}

const NO_MEMBERS: ReadonlySet<string> = new Set();
const CONTENT = new Set(['content']);

/**
 * JSON with object members in key order (UTF-16 code unit order, members whose value is undefined left out), so
 * equal bodies hash equally whatever order the client wrote; `omit` leaves out members of the top-level object.
 * Written by hand rather than with entries/map/join: this runs on every request a cache sees.
 */
function canonical(value: unknown, omit: ReadonlySet<string> = NO_MEMBERS): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return canonicalItems(value, value.length);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let out = '{';
    for (const key of keys) {
      const member = record[key];
      if (member === undefined || omit.has(key)) continue;
      if (out.length > 1) out += ',';
      out += `${JSON.stringify(key)}:${canonical(member)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The canonical JSON array of the first `count` items. */
function canonicalItems(items: readonly unknown[], count: number): string {
  let out = '[';
  for (let i = 0; i < count; i++) {
    if (i > 0) out += ',';
    out += canonical(items[i]);
  }
  return `${out}]`;
}

function sha256(text: string): string {
  return hash('sha256', text, 'base64url');
}

class LazyCacheKey implements CacheKey {
  readonly queryText: string | undefined;
  readonly #decision: string;
  readonly #body: Readonly<Record<string, unknown>>;
  readonly #messages: readonly unknown[];
  readonly #last: Readonly<Record<string, unknown>>;
  #bucket: string | undefined;
  #exact: string | undefined;

  constructor(
    readonly scope: string,
    decision: string,
    body: Readonly<Record<string, unknown>>,
    messages: readonly unknown[],
    last: Readonly<Record<string, unknown>>,
  ) {
    this.#decision = decision;
    this.#body = body;
    this.#messages = messages;
    this.#last = last;
    this.queryText = textOnly(last.content);
  }

  get bucket(): string {
    // canonical({ scope, decision, earlier, answerShaping, lastRest }) written out in its key order, without
    // building the objects: answerShaping is the body without DELIVERY_ONLY members, lastRest the last turn
    // without its content.
    this.#bucket ??= sha256(
      `{"answerShaping":${canonical(this.#body, DELIVERY_ONLY)},"decision":${JSON.stringify(this.#decision)},` +
        `"earlier":${canonicalItems(this.#messages, this.#messages.length - 1)},` +
        `"lastRest":${canonical(this.#last, CONTENT)},"scope":${JSON.stringify(this.scope)}}`,
    );
    return this.#bucket;
  }

  get exact(): string {
    this.#exact ??= sha256(`${this.bucket}\n${canonical(this.#last.content)}`);
    return this.#exact;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The scope id, or undefined when the scope's header is missing (such a request is not cached at all). */
export function scopeOf(context: RequestContext, config: ResponseCacheConfig): string | undefined {
  if (config.scope === 'global') return 'global';
  if (config.scope === 'user') {
    const user = context.identity?.userId ?? context.headers.get(config.scope_headers.user);
    return user ? `user:${user}` : undefined;
  }
  const tenant = context.headers.get(config.scope_headers.tenant);
  return tenant ? `tenant:${tenant}` : undefined;
}

function textOnly(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') return undefined;
    texts.push(part.text);
  }
  return texts.join('\n');
}

const LEADING_ROLES = new Set(['system', 'developer']);

/**
 * The key of a chat completion request, or undefined when it must not be cached: another API, no trailing user
 * turn, earlier turns without `multi_turn`, more than one choice asked for, or no scope id.
 */
export function cacheKeyOf(
  context: RequestContext,
  decision: string,
  config: ResponseCacheConfig,
): CacheKey | undefined {
  const parsed = context.request;
  if (parsed.api !== 'chat_completions') return undefined;
  const messages = parsed.body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const last: unknown = messages[messages.length - 1];
  if (!isRecord(last) || last.role !== 'user') return undefined;
  if (!config.multi_turn)
    for (let i = 0; i < messages.length - 1; i++) {
      const earlier: unknown = messages[i];
      if (!isRecord(earlier) || !LEADING_ROLES.has(String(earlier.role))) return undefined;
    }
  const choices = parsed.body.n;
  if (choices !== undefined && choices !== 1) return undefined;
  const scope = scopeOf(context, config);
  if (scope === undefined) return undefined;
  return new LazyCacheKey(scope, decision, parsed.body, messages, last);
}
