// Exact entries in the policy's state store (Redis when `state_store` says so), so that replicas serve each
// other's answers (their vectors: shared-vectors.ts). Keys start with a tag of the scope, so a flush of one scope
// deletes its keys by prefix. Every failure of the store is a miss (or a skipped write): the cache never fails a
// request.
import { createHash } from 'node:crypto';
import type { SharedStore } from '../../state/shared-store.ts';
import type { CachedAnswer } from './cached-answer.ts';

/** Every key the cache writes to the state store starts with this. */
export const SHARED_KEY_PREFIX = 'response-cache:';

/** The prefix of a scope's keys (the scope id itself may hold any character: it is hashed). */
export function scopeKeyPrefix(scope: string): string {
  return `${SHARED_KEY_PREFIX}${createHash('sha256').update(scope).digest('base64url').slice(0, 16)}:`;
}

function entryKey(scope: string, exact: string): string {
  return `${scopeKeyPrefix(scope)}e:${exact}`;
}

export interface SharedEntry {
  readonly scope: string;
  readonly answer: CachedAnswer;
  readonly storedAt: number;
  readonly expiresAt: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseEntry(text: string): SharedEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isRecord(value.answer)) return undefined;
  const { scope, storedAt, expiresAt, answer } = value;
  const { model, content, finishReason, usage } = answer;
  if (typeof scope !== 'string' || typeof storedAt !== 'number' || typeof expiresAt !== 'number')
    return undefined;
  if (typeof model !== 'string' || typeof content !== 'string' || typeof finishReason !== 'string')
    return undefined;
  const numbers = isRecord(usage)
    ? Object.fromEntries(Object.entries(usage).filter((e): e is [string, number] => typeof e[1] === 'number'))
    : undefined;
  return { scope, storedAt, expiresAt, answer: { model, content, finishReason, usage: numbers } };
}

/** The entry stored under `exact`, undefined when absent, expired, malformed or the store failed (`onError`). */
export async function readSharedEntry(
  store: SharedStore,
  scope: string,
  exact: string,
  now: number,
  onError: (error: unknown) => void,
): Promise<SharedEntry | undefined> {
  try {
    const text = await store.get(entryKey(scope, exact));
    const entry = text === undefined ? undefined : parseEntry(text);
    return entry && entry.expiresAt > now && entry.scope === scope ? entry : undefined;
  } catch (error) {
    onError(error);
    return undefined;
  }
}

export async function writeSharedEntry(
  store: SharedStore,
  exact: string,
  entry: SharedEntry,
  onError: (error: unknown) => void,
): Promise<void> {
  try {
    await store.set(
      entryKey(entry.scope, exact),
      JSON.stringify(entry),
      Math.max(1, entry.expiresAt - entry.storedAt),
    );
  } catch (error) {
    onError(error);
  }
}

/**
 * Deletes the shared entries and vectors of `scope` (all of them when undefined); the number of keys deleted, or
 * undefined when the store cannot delete by prefix or failed (`onError`).
 */
export async function flushShared(
  store: SharedStore,
  scope: string | undefined,
  onError: (error: unknown) => void,
): Promise<number | undefined> {
  if (!store.deleteByPrefix) return undefined;
  try {
    return await store.deleteByPrefix(scope === undefined ? SHARED_KEY_PREFIX : scopeKeyPrefix(scope));
  } catch (error) {
    onError(error);
    return undefined;
  }
}
