// A user's stored memories (past user turns with their embeddings) in the router's SharedStore (in-process, or Redis
// shared by replicas), one value per user under a key derived from a hash of the user id. Bounded: at most
// `maxPerUser` memories per user (oldest dropped first), each at most MAX_MEMORY_CHARS, and the key expires after
// `ttlMs` without a new memory, so the total held is bounded by the active users' count.
import { createHash } from 'node:crypto';
import type { SharedStore } from '../../state/shared-store.ts';

export const MAX_MEMORY_CHARS = 2000;

export interface Memory {
  readonly text: string;
  readonly vector: Float32Array;
}

interface StoredMemory {
  readonly text: string;
  /** Float32 little-endian bytes, base64. */
  readonly vector: string;
}

export function memoryKey(userId: string): string {
  return `plugin:memory:v1:${createHash('sha256').update(userId).digest('hex')}`;
}

function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % 4));
  copy.set(bytes.subarray(0, copy.byteLength));
  return new Float32Array(copy.buffer);
}

function isStoredMemory(value: unknown): value is StoredMemory {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as StoredMemory).text === 'string' &&
    typeof (value as StoredMemory).vector === 'string'
  );
}

/** The user's memories, oldest first; a missing or unreadable value is no memories. */
export async function readMemories(store: SharedStore, userId: string): Promise<Memory[]> {
  const raw = await store.get(memoryKey(userId));
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isStoredMemory).map((m) => ({ text: m.text, vector: decodeVector(m.vector) }));
}

/** Appends a memory (an identical text moves to the newest place instead) and keeps the newest `maxPerUser`. */
export async function appendMemory(
  store: SharedStore,
  userId: string,
  existing: readonly Memory[],
  memory: Memory,
  limits: { readonly maxPerUser: number; readonly ttlMs: number },
): Promise<void> {
  const text = memory.text.slice(0, MAX_MEMORY_CHARS);
  const kept = existing.filter((m) => m.text !== text);
  const next = [...kept, { text, vector: memory.vector }].slice(-limits.maxPerUser);
  const value = JSON.stringify(next.map((m) => ({ text: m.text, vector: encodeVector(m.vector) })));
  await store.set(memoryKey(userId), value, limits.ttlMs);
}
