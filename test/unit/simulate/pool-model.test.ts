// The pool model on cases small enough to compute by hand: queueing behind a busy slot, serial prefill, prefix
// reuse, batch slowdown, queue bounds, LRU eviction and the replica balancers.
import { describe, expect, it } from 'vitest';
import type { FleetPool } from '../../../src/simulate/fleet.ts';
import { type JobStart, type PoolJob, PoolModel } from '../../../src/simulate/pool-model.ts';

function pool(overrides: Partial<FleetPool> = {}): FleetPool {
  return {
    name: 'p',
    gpu: 'gpu',
    replicas: 1,
    gpusPerReplica: 1,
    maxConcurrency: 1,
    maxQueue: 1,
    // 1 token per ms of prefill, 100 ms per output token: times are easy to add up.
    prefillTokensPerS: 1000,
    decodeTokensPerS: 10,
    batchSlowdown: 0,
    kvCacheBlocks: 100,
    costPerGpuHour: 1,
    ...overrides,
  };
}

let nextId = 0;
function job(arrivalMs: number, inputTokens: number, outputTokens: number, blocks: number[] = []): PoolJob {
  return { id: nextId++, arrivalMs, inputTokens, outputTokens, blocks };
}

function started(submission: ReturnType<PoolModel['submit']>): JobStart {
  if (submission.kind !== 'started') throw new Error(`expected a start, got ${submission.kind}`);
  return submission.start;
}

describe('PoolModel', () => {
  it('makes the second request wait for the only slot, and refuses one beyond the queue', () => {
    const model = new PoolModel(pool(), 100, 'least_request');
    const a = started(model.submit(job(0, 1000, 5), 0));
    // Prefill 1000 ms, first token one decode step later, four more tokens at 100 ms.
    expect(a).toMatchObject({ startMs: 0, cachedTokens: 0, firstTokenMs: 1100, endMs: 1500, tpotMs: 100 });
    expect(model.submit(job(200, 500, 2), 200).kind).toBe('queued');
    expect(model.submit(job(300, 10, 1), 300).kind).toBe('rejected');
    const b = model.finish(a, 1500) as JobStart;
    expect(b).toMatchObject({ startMs: 1500, firstTokenMs: 2100, endMs: 2200 });
    // TTFT of the second request: 1900 ms, of which 1300 ms waiting.
    expect(b.firstTokenMs - b.job.arrivalMs).toBe(1900);
    expect(model.finish(b, 2200)).toBeUndefined();
    expect(model.busyMs(2200)).toBe(2200);
    expect(model.slotMs).toBe(2200);
  });

  it('skips the prefill of prefix blocks the replica has cached', () => {
    const model = new PoolModel(pool(), 100, 'least_request');
    const first = started(model.submit(job(0, 1000, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0));
    expect(first.firstTokenMs).toBe(1100);
    model.finish(first, first.endMs);
    const again = started(model.submit(job(5000, 1000, 1, [1, 2, 3, 4, 5, 6, 7, 8, 11, 12]), 5000));
    expect(again.cachedTokens).toBe(800);
    expect(again.firstTokenMs - 5000).toBe(300);
    // A prompt that shares no leading block gets nothing from the cache, even if later blocks match.
    model.finish(again, again.endMs);
    const other = started(model.submit(job(9000, 1000, 1, [99, 2, 3]), 9000));
    expect(other.cachedTokens).toBe(0);
  });

  it('evicts the least recently used blocks beyond the cache capacity', () => {
    const model = new PoolModel(pool({ kvCacheBlocks: 3 }), 100, 'least_request');
    const a = started(model.submit(job(0, 300, 1, [1, 2, 3]), 0));
    model.finish(a, a.endMs);
    const b = started(model.submit(job(1000, 200, 1, [7, 8]), 1000));
    model.finish(b, b.endMs);
    // Blocks 1 and 2 went out to make room for 7 and 8.
    expect(started(model.submit(job(2000, 300, 1, [1, 2, 3]), 2000)).cachedTokens).toBe(0);
  });

  it('prefills one prompt at a time and slows decoding as the batch grows', () => {
    const model = new PoolModel(pool({ maxConcurrency: 2, batchSlowdown: 0.5 }), 100, 'least_request');
    const a = started(model.submit(job(0, 1000, 2), 0));
    const b = started(model.submit(job(0, 500, 2), 0));
    expect(a).toMatchObject({ firstTokenMs: 1100, tpotMs: 100 });
    // B prefills after A (1000 → 1500 ms) and decodes at 150 ms per token, sharing the replica.
    expect(b).toMatchObject({ firstTokenMs: 1650, endMs: 1800, tpotMs: 150 });
  });

  it('spreads requests over replicas by outstanding requests (least_request)', () => {
    const model = new PoolModel(pool({ replicas: 2 }), 100, 'least_request');
    const a = started(model.submit(job(0, 100, 1), 0));
    const b = started(model.submit(job(0, 100, 1), 0));
    expect([a.replica, b.replica]).toEqual([0, 1]);
    expect(model.outstanding).toBe(2);
  });

  it('sends a prompt to the replica caching its prefix (prefix_aware), where least_request would not', () => {
    const blocks = [1, 2, 3, 4, 5];
    for (const [balancer, replica] of [
      ['prefix_aware', 1],
      ['least_request', 0],
    ] as const) {
      const model = new PoolModel(pool({ replicas: 2, maxConcurrency: 4 }), 100, balancer);
      const warmA = started(model.submit(job(0, 100, 1, [42]), 0));
      const warmB = started(model.submit(job(0, 500, 1, blocks), 0));
      expect([warmA.replica, warmB.replica]).toEqual([0, 1]);
      model.finish(warmA, warmA.endMs);
      model.finish(warmB, warmB.endMs);
      // Both replicas idle: least_request takes the first, prefix_aware the one holding the prefix.
      const repeat = started(model.submit(job(5000, 600, 1, [...blocks, 6]), 5000));
      expect(repeat.replica).toBe(replica);
    }
  });
});
