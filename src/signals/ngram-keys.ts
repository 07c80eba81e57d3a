// eld's n-grams as numbers. Its n-gram keys are strings of up to six "byte" characters (each below 256): packed
// into one double (little-endian bytes plus the length above bit 48) they are looked up in an open-addressing
// table without building, hashing or comparing a string per n-gram.

/** Characters of the longest key that packs into a number. */
export const MAX_PACKED_CHARS = 6;
const BYTE = 256;
const LENGTH_UNIT = 2 ** 48;

/** The packed form of `ngram`, or undefined when it is too long or holds a character of 256 or more. */
export function packNgram(ngram: string): number | undefined {
  if (ngram.length > MAX_PACKED_CHARS) return undefined;
  let key = 0;
  let scale = 1;
  for (let i = 0; i < ngram.length; i++) {
    const code = ngram.charCodeAt(i);
    if (code >= BYTE) return undefined;
    key += code * scale;
    scale *= BYTE;
  }
  return key + ngram.length * LENGTH_UNIT;
}

/** Packs `units[from, to)` between an optional leading and trailing space (caller keeps it ≤ 6 characters). */
export function packUnits(
  units: Uint8Array,
  from: number,
  to: number,
  lead: boolean,
  trail: boolean,
): number {
  let key = 0;
  let scale = 1;
  let length = 0;
  if (lead) {
    key = 32;
    scale = BYTE;
    length = 1;
  }
  for (let i = from; i < to; i++) {
    key += (units[i] as number) * scale;
    scale *= BYTE;
  }
  length += to - from;
  if (trail) {
    key += 32 * scale;
    length++;
  }
  return key + length * LENGTH_UNIT;
}

function slotOf(key: number, mask: number): number {
  const low = key >>> 0;
  const high = (key / 2 ** 32) >>> 0;
  return (Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> 7) & mask;
}

function tableSize(entries: number): number {
  let size = 16;
  while (size < entries * 2) size *= 2;
  return size;
}

/** Packed key → value (a non-negative integer), fixed once built. */
export class PackedKeyIndex {
  private readonly keys: Float64Array;
  /** value + 1; 0 marks an empty slot. */
  private readonly values: Int32Array;
  private readonly mask: number;

  /** `slots`: the slots of an index as `parts()` returned them (fromParts checks them), instead of `entries`. */
  constructor(
    entries: readonly (readonly [key: number, value: number])[],
    slots?: { readonly keys: Float64Array; readonly values: Int32Array },
  ) {
    const size = slots?.keys.length ?? tableSize(entries.length);
    this.keys = slots?.keys ?? new Float64Array(size);
    this.values = slots?.values ?? new Int32Array(size);
    this.mask = size - 1;
    this.insert(entries);
  }

  /** The index whose slots `parts()` returned (a stored image of it); undefined when they cannot be one. */
  static fromParts(keys: Float64Array, values: Int32Array): PackedKeyIndex | undefined {
    const size = keys.length;
    if (size < 16 || (size & (size - 1)) !== 0 || values.length !== size) return undefined;
    return new PackedKeyIndex([], { keys, values });
  }

  /** The slots, for a stored image of the index (fromParts). */
  parts(): { readonly keys: Float64Array; readonly values: Int32Array } {
    return { keys: this.keys, values: this.values };
  }

  private insert(entries: readonly (readonly [key: number, value: number])[]): void {
    for (const [key, value] of entries) {
      let slot = slotOf(key, this.mask);
      while (this.values[slot] !== 0 && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = value + 1;
    }
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    let slot = slotOf(key, this.mask);
    for (;;) {
      const value = this.values[slot] as number;
      if (value === 0) return -1;
      if (this.keys[slot] === key) return value - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** A reusable set of packed keys: cleared in O(1) by a new generation. */
export class PackedKeySet {
  private readonly keys: Float64Array;
  private readonly generations: Uint32Array;
  private readonly mask: number;
  private generation = 1;
  /** Keys added since the last clear, in order of first addition. */
  readonly added: Float64Array;
  size = 0;

  constructor(capacity: number) {
    const size = tableSize(capacity);
    this.keys = new Float64Array(size);
    this.generations = new Uint32Array(size);
    this.mask = size - 1;
    this.added = new Float64Array(capacity);
  }

  clear(): void {
    this.size = 0;
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.generations.fill(0);
      this.generation = 1;
    }
  }

  /** Adds `key`; throws RangeError beyond the capacity. */
  add(key: number): void {
    let slot = slotOf(key, this.mask);
    for (;;) {
      if (this.generations[slot] !== this.generation) {
        if (this.size === this.added.length) throw new RangeError('more distinct n-grams than the capacity');
        this.generations[slot] = this.generation;
        this.keys[slot] = key;
        this.added[this.size++] = key;
        return;
      }
      if (this.keys[slot] === key) return;
      slot = (slot + 1) & this.mask;
    }
  }
}
