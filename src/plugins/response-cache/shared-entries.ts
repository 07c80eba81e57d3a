// Exact entries in the policy's state store (Redis when `state_store` says so), so that replicas serve each
// other's answers. Only exact keys go there; each replica keeps its own semantic index. Every failure of the store
// is a miss (or a skipped write): the cache never fails a request.
import type { SharedStore } from '../../state/shared-store.ts';
import type { CachedAnswer } from './cached-answer.ts';

const KEY_PREFIX = 'response-cache:';

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
  exact: string,
  now: number,
  onError: (error: unknown) => void,
): Promise<SharedEntry | undefined> {
  try {
    const text = await store.get(`${KEY_PREFIX}${exact}`);
    const entry = text === undefined ? undefined : parseEntry(text);
    return entry && entry.expiresAt > now ? entry : undefined;
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
      `${KEY_PREFIX}${exact}`,
      JSON.stringify(entry),
      Math.max(1, entry.expiresAt - entry.storedAt),
    );
  } catch (error) {
    onError(error);
  }
}
