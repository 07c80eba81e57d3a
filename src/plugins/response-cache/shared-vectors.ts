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
  readonly positions: Uint16Array;
  readonly weights: Int16Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Positions and quantised weights as typed arrays over the bytes (copied when unaligned or on big-endian hosts). */
function unpack(bytes: Buffer): { positions: Uint16Array; weights: Int16Array } {
  const count = bytes.length / 4;
  let aligned = bytes;
  if (bytes.byteOffset % 2 !== 0 || !LITTLE_ENDIAN) {
    aligned = Buffer.alloc(bytes.length);
    bytes.copy(aligned);
    if (!LITTLE_ENDIAN) aligned.swap16();
  }
  return {
    positions: new Uint16Array(aligned.buffer, aligned.byteOffset, count),
    weights: new Int16Array(aligned.buffer, aligned.byteOffset + count * 2, count),
  };
}

function splitItem(item: string): DecodedItem | undefined {
  const first = item.indexOf(',');
  const second = item.indexOf(',', first + 1);
  const third = item.indexOf(',', second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  const expiresAt = Number(item.slice(first + 1, second));
  const exact = item.slice(second + 1, third);
  const bytes = Buffer.from(item.slice(third + 1), 'base64');
  if (!Number.isFinite(expiresAt) || exact === '' || bytes.length % 4 !== 0) return undefined;
  return { exact, expiresAt, ...unpack(bytes) };
}

/** The dot product of a dense query with an item's quantised vector. */
function itemDot(query: Float32Array, item: DecodedItem): number {
  const { positions, weights } = item;
  let dot = 0;
  for (let k = 0; k < positions.length; k++)
    dot += (query[positions[k] as number] ?? 0) * (weights[k] as number);
  return dot / QUANTUM;
}

function decodeVector(item: DecodedItem): SparseVector {
  const values = new Float32Array(item.weights.length);
  for (let k = 0; k < values.length; k++) values[k] = (item.weights[k] as number) / QUANTUM;
  // A copy: the item's arrays may view a shared pool slab, which an entry kept for long must not hold on to.
  return { positions: Uint16Array.from(item.positions), values };
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
    const raw = itemDot(query, decoded);
    if (raw >= minRaw && raw > bestRaw) {
      best = decoded;
      bestRaw = raw;
    }
  }
  return best && { exact: best.exact, vector: decodeVector(best), raw: bestRaw };
}
