// The vectors of shared entries, so that a replica finds a paraphrase another replica stored: per bucket, one
// capped list in the state store of {exact key, sparse vector, stored, expires}, newest last. A lookup that missed
// locally reads the bucket's list in one round trip and scores it; the caller then reads the winner's exact entry.
// Items are compact text (positions and 16-bit quantised weights in base64) so a full list parses quickly.
// Every failure of the store is a miss (or a skipped write): the cache never fails a request.
import type { SharedStore } from '../../state/shared-store.ts';
import { scopeKeyPrefix } from './shared-entries.ts';
import type { SparseVector } from './sparse-vector.ts';

/** Weights of unit vectors lie in [-1, 1]: 16 bits keep them to within 2e-5. */
const QUANTUM = 32767;

export interface SharedVectorHit {
  readonly exact: string;
  readonly vector: SparseVector;
  /** Raw cosine of the query to the stored vector. */
  readonly raw: number;
}

function vectorKey(scope: string, bucket: string): string {
  return `${scopeKeyPrefix(scope)}v:${bucket}`;
}

export function encodeVectorItem(
  exact: string,
  vector: SparseVector,
  storedAt: number,
  expiresAt: number,
): string {
  const count = vector.positions.length;
  const bytes = Buffer.alloc(count * 4);
  for (let k = 0; k < count; k++) {
    bytes.writeUInt16LE(vector.positions[k] as number, k * 2);
    const weight = Math.max(-1, Math.min(1, vector.values[k] as number));
    bytes.writeInt16LE(Math.round(weight * QUANTUM), count * 2 + k * 2);
  }
  return `${storedAt},${expiresAt},${exact},${bytes.toString('base64')}`;
}

interface DecodedItem {
  readonly exact: string;
  readonly expiresAt: number;
  readonly bytes: Buffer;
}

function splitItem(item: string): DecodedItem | undefined {
  const parts = item.split(',');
  if (parts.length !== 4) return undefined;
  const expiresAt = Number(parts[1]);
  const exact = parts[2] as string;
  const bytes = Buffer.from(parts[3] as string, 'base64');
  if (!Number.isFinite(expiresAt) || exact === '' || bytes.length % 4 !== 0) return undefined;
  return { exact, expiresAt, bytes };
}

/** The dot product of a dense query with an encoded vector, read in place. */
function encodedDot(query: Float32Array, bytes: Buffer): number {
  const count = bytes.length / 4;
  let dot = 0;
  for (let k = 0; k < count; k++) {
    const position = bytes.readUInt16LE(k * 2);
    dot += ((query[position] ?? 0) * bytes.readInt16LE(count * 2 + k * 2)) / QUANTUM;
  }
  return dot;
}

function decodeVector(bytes: Buffer): SparseVector {
  const count = bytes.length / 4;
  const positions = new Uint16Array(count);
  const values = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    positions[k] = bytes.readUInt16LE(k * 2);
    values[k] = bytes.readInt16LE(count * 2 + k * 2) / QUANTUM;
  }
  return { positions, values };
}

/** Appends a stored answer's vector to its bucket's list (the newest `maxItems` are kept, for the entry's TTL). */
export async function writeSharedVector(
  store: SharedStore,
  target: { scope: string; bucket: string; exact: string },
  vector: SparseVector,
  lifetime: { storedAt: number; expiresAt: number },
  maxItems: number,
  onError: (error: unknown) => void,
): Promise<void> {
  if (!store.appendCapped) return;
  try {
    await store.appendCapped(
      vectorKey(target.scope, target.bucket),
      encodeVectorItem(target.exact, vector, lifetime.storedAt, lifetime.expiresAt),
      maxItems,
      Math.max(1, lifetime.expiresAt - lifetime.storedAt),
    );
  } catch (error) {
    onError(error);
  }
}

/** The live shared vector of the bucket nearest `query` with a raw cosine of at least `minRaw`. */
export async function nearestSharedVector(
  store: SharedStore,
  target: { scope: string; bucket: string },
  query: Float32Array,
  minRaw: number,
  now: number,
  onError: (error: unknown) => void,
): Promise<SharedVectorHit | undefined> {
  if (!store.readList) return undefined;
  let items: string[];
  try {
    items = await store.readList(vectorKey(target.scope, target.bucket));
  } catch (error) {
    onError(error);
    return undefined;
  }
  let best: DecodedItem | undefined;
  let bestRaw = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    const decoded = splitItem(item);
    if (!decoded || decoded.expiresAt <= now) continue;
    const raw = encodedDot(query, decoded.bytes);
    if (raw >= minRaw && raw > bestRaw) {
      best = decoded;
      bestRaw = raw;
    }
  }
  return best && { exact: best.exact, vector: decodeVector(best.bytes), raw: bestRaw };
}
