// A min-heap of timed events; equal times come out in the order they were pushed (deterministic replays).

interface Entry<T> {
  readonly time: number;
  readonly seq: number;
  readonly value: T;
}

export class EventQueue<T> {
  readonly #heap: Entry<T>[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Time of the earliest event; +Infinity when empty. */
  peekTime(): number {
    return this.#heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  push(time: number, value: T): void {
    const heap = this.#heap;
    heap.push({ time, seq: this.#seq++, value });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry<T>, heap[parent] as Entry<T>)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry<T>, heap[i] as Entry<T>];
      i = parent;
    }
  }

  /** The earliest event, removed; undefined when empty. */
  pop(): { time: number; value: T } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left] as Entry<T>, heap[smallest] as Entry<T>)) smallest = left;
        if (right < heap.length && before(heap[right] as Entry<T>, heap[smallest] as Entry<T>))
          smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest] as Entry<T>, heap[i] as Entry<T>];
        i = smallest;
      }
    }
    return { time: top.time, value: top.value };
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
