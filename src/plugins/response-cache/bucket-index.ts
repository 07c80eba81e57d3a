// The vectors of one cache bucket, indexed for "which stored entry is at least `minRaw` similar to this query?".
// Postings per dimension list the entries with a non-zero weight there, with the weight. A query walks only the
// postings of its heaviest dimensions, summing partial dot products: the light dimensions left out add at most
// their norm (Cauchy-Schwarz, entries are unit vectors), so only entries whose partial sum plus that norm reaches
// `minRaw` are scored in full. A lookup costs a pass over some postings, not a dot product per entry.
import { type SparseVector, sparseDot } from './sparse-vector.ts';

/** Norm of the light query dimensions left out of the walk (measured best on bench/cache-quality.ts). */
const LIGHT_NORM = 0.75;

interface Slotted<T> {
  readonly item: T;
  readonly vector: SparseVector;
}

class Postings {
  slots = new Uint32Array(4);
  weights = new Float32Array(4);
  length = 0;

  push(slot: number, weight: number): void {
    if (this.length === this.slots.length) {
      const slots = new Uint32Array(this.slots.length * 2);
      slots.set(this.slots);
      this.slots = slots;
      const weights = new Float32Array(this.weights.length * 2);
      weights.set(this.weights);
      this.weights = weights;
    }
    this.slots[this.length] = slot;
    this.weights[this.length] = weight;
    this.length++;
  }
}

export class BucketIndex<T> {
  #slots: (Slotted<T> | undefined)[] = [];
  readonly #slotOf = new Map<T, number>();
  #postings = new Map<number, Postings>();
  #partial = new Float32Array(0);
  #touched = new Uint32Array(0);
  #marked = new Uint8Array(0);

  get size(): number {
    return this.#slotOf.size;
  }

  add(item: T, vector: SparseVector): void {
    const slot = this.#slots.length;
    this.#slots.push({ item, vector });
    this.#slotOf.set(item, slot);
    for (let k = 0; k < vector.positions.length; k++) {
      const dim = vector.positions[k] as number;
      let list = this.#postings.get(dim);
      if (!list) {
        list = new Postings();
        this.#postings.set(dim, list);
      }
      list.push(slot, vector.values[k] as number);
    }
  }

  /** Forgets `item`; its postings stay until enough dead slots make a rebuild worth it. */
  delete(item: T): void {
    const slot = this.#slotOf.get(item);
    if (slot === undefined) return;
    this.#slotOf.delete(item);
    this.#slots[slot] = undefined;
    const dead = this.#slots.length - this.#slotOf.size;
    if (dead > 1024 && dead > this.#slotOf.size) this.#rebuild();
  }

  /** The entry most similar to `query` among those that can reach `minRaw`, with its raw cosine. */
  nearest(query: Float32Array, minRaw: number): { item: T; raw: number } | undefined {
    const dims: number[] = [];
    for (let i = 0; i < query.length; i++) if (query[i] !== 0) dims.push(i);
    dims.sort((a, b) => (query[b] as number) - (query[a] as number));
    // Light dimensions from the end whose norm stays below minRaw need not be walked. Leaving out less than that
    // (at most LIGHT_NORM) keeps the bound tight enough that few walked entries need a full dot product.
    let lightSquared = 0;
    let walked = dims.length;
    const skippable = Math.min(minRaw, LIGHT_NORM);
    const limit = skippable > 0 ? skippable * skippable : 0;
    while (walked > 0) {
      const weight = query[dims[walked - 1] as number] as number;
      if (lightSquared + weight * weight >= limit) break;
      lightSquared += weight * weight;
      walked--;
    }
    if (this.#partial.length < this.#slots.length) {
      this.#partial = new Float32Array(Math.max(1024, this.#slots.length * 2));
      this.#touched = new Uint32Array(this.#partial.length);
      this.#marked = new Uint8Array(this.#partial.length);
    }
    const marked = this.#marked;
    const partial = this.#partial;
    const touched = this.#touched;
    let touchedCount = 0;
    for (let d = 0; d < walked; d++) {
      const dim = dims[d] as number;
      const list = this.#postings.get(dim);
      if (!list) continue;
      const weight = query[dim] as number;
      const { slots, weights } = list;
      for (let k = 0; k < list.length; k++) {
        const slot = slots[k] as number;
        if (marked[slot] === 0) {
          marked[slot] = 1;
          touched[touchedCount++] = slot;
        }
        partial[slot] = (partial[slot] as number) + weight * (weights[k] as number);
      }
    }
    const lightNorm = Math.sqrt(lightSquared);
    let best: Slotted<T> | undefined;
    let bestRaw = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < touchedCount; t++) {
      const slot = touched[t] as number;
      const bound = (partial[slot] as number) + lightNorm;
      partial[slot] = 0;
      marked[slot] = 0;
      if (bound < minRaw || bound <= bestRaw) continue;
      const candidate = this.#slots[slot];
      if (!candidate) continue;
      const raw = sparseDot(query, candidate.vector);
      if (raw > bestRaw) {
        bestRaw = raw;
        best = candidate;
      }
    }
    return best && { item: best.item, raw: bestRaw };
  }

  #rebuild(): void {
    const live = this.#slots.filter((s): s is Slotted<T> => s !== undefined);
    this.#slots = [];
    this.#slotOf.clear();
    this.#postings = new Map();
    for (const { item, vector } of live) this.add(item, vector);
  }
}
