// Discrete-event model of one GPU pool: replicas with a FIFO queue, a bounded number of running sequences, prefill
// one prompt at a time (compute-bound) skipping the prefix blocks in the replica's LRU KV cache, and decode side by
// side (memory-bound), each sequence slower by `batchSlowdown` per other running sequence. A request's timings are
// fixed when it starts (the batch size it starts into), which keeps the model cheap and deterministic.
import type { FleetPool, ReplicaBalancer } from './fleet.ts';

/** What the pool model needs of a request. */
export interface PoolJob {
  readonly id: number;
  readonly arrivalMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly blocks: readonly number[];
}

/** A request that started on a replica, with its timings (ms on the simulation clock). */
export interface JobStart<J extends PoolJob = PoolJob> {
  readonly job: J;
  readonly replica: number;
  readonly startMs: number;
  /** Prompt tokens served from the replica's prefix cache. */
  readonly cachedTokens: number;
  readonly firstTokenMs: number;
  readonly endMs: number;
  readonly tpotMs: number;
}

export type Submission<J extends PoolJob> =
  | { readonly kind: 'started'; readonly start: JobStart<J> }
  | { readonly kind: 'queued' }
  /** Every slot and queue place of the chosen replica is taken: the engine answers 503. */
  | { readonly kind: 'rejected' };

class Replica<J extends PoolJob> {
  running = 0;
  readonly queue: J[] = [];
  head = 0;
  prefillFreeAt = 0;
  /** Prefix block ids, least recently used first (Map keeps insertion order). */
  readonly kv = new Map<number, true>();
  busySince = 0;
  busyMs = 0;

  get waiting(): number {
    return this.queue.length - this.head;
  }

  get outstanding(): number {
    return this.running + this.waiting;
  }

  dequeue(): J | undefined {
    if (this.head >= this.queue.length) return undefined;
    const job = this.queue[this.head++] as J;
    // Compact now and then so a long run does not keep every job it ever queued.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return job;
  }

  cachedPrefix(blocks: readonly number[]): number {
    let count = 0;
    for (const block of blocks) {
      if (!this.kv.has(block)) break;
      count++;
    }
    return count;
  }
}

export class PoolModel<J extends PoolJob = PoolJob> {
  readonly #replicas: Replica<J>[];
  #slotMs = 0;

  constructor(
    readonly spec: FleetPool,
    readonly blockTokens: number,
    readonly balancer: ReplicaBalancer,
  ) {
    this.#replicas = Array.from({ length: spec.replicas }, () => new Replica<J>());
  }

  /** A routed request arrives at `now`: it starts, waits, or is refused. */
  submit(job: J, now: number): Submission<J> {
    const index = this.#pick(job);
    const replica = this.#replicas[index] as Replica<J>;
    if (replica.running < this.spec.maxConcurrency)
      return { kind: 'started', start: this.#start(index, job, now) };
    if (replica.waiting < this.spec.maxQueue) {
      replica.queue.push(job);
      return { kind: 'queued' };
    }
    return { kind: 'rejected' };
  }

  /** `start` finished at `now`: frees its slot, and starts the replica's next waiting request, if any. */
  finish(start: JobStart<J>, now: number): JobStart<J> | undefined {
    const replica = this.#replicas[start.replica] as Replica<J>;
    this.#slotMs += now - start.startMs;
    replica.running--;
    if (replica.running === 0) replica.busyMs += now - replica.busySince;
    const next = replica.dequeue();
    return next === undefined ? undefined : this.#start(start.replica, next, now);
  }

  /** Time finished requests held a running slot (ms, summed over requests). */
  get slotMs(): number {
    return this.#slotMs;
  }

  /** Replica time with at least one request running, up to `now` (ms, summed over replicas). */
  busyMs(now: number): number {
    let total = 0;
    for (const replica of this.#replicas) {
      total += replica.busyMs + (replica.running > 0 ? now - replica.busySince : 0);
    }
    return total;
  }

  /** Requests running or waiting on the pool. */
  get outstanding(): number {
    let total = 0;
    for (const replica of this.#replicas) total += replica.outstanding;
    return total;
  }

  #pick(job: J): number {
    const replicas = this.#replicas;
    let best = 0;
    if (this.balancer === 'prefix_aware' && job.blocks.length > 0) {
      let bestCached = -1;
      for (const [i, replica] of replicas.entries()) {
        if (replica.running >= this.spec.maxConcurrency) continue;
        const cached = replica.cachedPrefix(job.blocks);
        const current = replicas[best] as Replica<J>;
        if (cached > bestCached || (cached === bestCached && replica.outstanding < current.outstanding)) {
          best = i;
          bestCached = cached;
        }
      }
      if (bestCached >= 0) return best;
    }
    for (const [i, replica] of replicas.entries()) {
      if (replica.outstanding < (replicas[best] as Replica<J>).outstanding) best = i;
    }
    return best;
  }

  #start(index: number, job: J, now: number): JobStart<J> {
    const replica = this.#replicas[index] as Replica<J>;
    const spec = this.spec;
    const cachedBlocks = replica.cachedPrefix(job.blocks);
    const cachedTokens = Math.min(job.inputTokens, cachedBlocks * this.blockTokens);
    const prefillMs = ((job.inputTokens - cachedTokens) / spec.prefillTokensPerS) * 1000;
    const prefillStart = Math.max(now, replica.prefillFreeAt);
    replica.prefillFreeAt = prefillStart + prefillMs;
    if (replica.running === 0) replica.busySince = now;
    replica.running++;
    const tpotMs = (1000 / spec.decodeTokensPerS) * (1 + spec.batchSlowdown * (replica.running - 1));
    const firstTokenMs = replica.prefillFreeAt + tpotMs;
    const endMs = firstTokenMs + (Math.max(1, job.outputTokens) - 1) * tpotMs;
    this.#remember(replica, job.blocks);
    return { job, replica: index, startMs: now, cachedTokens, firstTokenMs, endMs, tpotMs };
  }

  /** The request's blocks become the most recently used; the least recently used go beyond capacity. */
  #remember(replica: Replica<J>, blocks: readonly number[]): void {
    const capacity = this.spec.kvCacheBlocks;
    if (capacity === 0) return;
    for (const block of blocks) {
      replica.kv.delete(block);
      replica.kv.set(block, true);
    }
    while (replica.kv.size > capacity) {
      const oldest = replica.kv.keys().next().value as number;
      replica.kv.delete(oldest);
    }
  }
}
