// Deterministic sampling of data-set rows, independent of file order.
import { hashString } from '../../ml/wide-mlp/features.ts';

/** One of `items` chosen by a stable hash of `key` ('' when there are none). */
export function pickByHash(items: readonly string[], key: string): string {
  return items.length === 0 ? '' : (items[hashString(key) % items.length] as string);
}

/** The first `n` items by a stable hash of their key (ties broken by the key itself). */
export function sampleByHash<T>(items: readonly T[], key: (item: T) => string, n: number): T[] {
  return items
    .map((item) => ({ item, h: hashString(key(item)), k: key(item) }))
    .sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .slice(0, n)
    .map((x) => x.item);
}
