// A sliding-window log: charges are kept until they leave the window, so a limit never admits more than its budget
// in any window, and a charge can be corrected later (token usage known at the end). Charges less than 1/1000 of
// the window apart share one entry stamped with the latest of them: memory stays bounded (≤ 1001 entries per key,
// however many requests) and a charge leaves the window at most 1/1000 of the window late, never early; charges
// further apart are exact.

/** Charges made from `first` to `at`; the entry leaves the window with the latest of them. */
export interface WindowEntry {
  readonly first: number;
  at: number;
  amount: number;
}

/** One charge, kept to correct or refund it while its slot is in the window. */
export interface WindowCharge {
  readonly entry: WindowEntry;
  amount: number;
}

/** Slots per window. */
const SLOTS = 1000;

export class SlidingWindowLog {
  private entries: WindowEntry[] = [];
  /** Index of the oldest live entry (older ones are dropped in batches to keep shifts cheap). */
  private head = 0;
  private sum = 0;

  private readonly slotMs: number;

  constructor(private readonly windowMs: number) {
    this.slotMs = Math.max(1, windowMs / SLOTS);
  }

  /** The amount charged within the window ending at `now`. */
  total(now: number): number {
    this.prune(now);
    return this.sum;
  }

  /** Entries held (what the log costs in memory). */
  get size(): number {
    return this.entries.length - this.head;
  }

  get empty(): boolean {
    return this.head >= this.entries.length;
  }

  /**
   * Whether `amount` fits under `limit` now. An empty window admits any single charge, so a request larger than the
   * whole budget is not refused for ever.
   */
  fits(amount: number, limit: number, now: number): boolean {
    const total = this.total(now);
    return total === 0 || total + amount <= limit;
  }

  charge(amount: number, now: number): WindowCharge {
    this.prune(now);
    let entry = this.empty ? undefined : this.entries[this.entries.length - 1];
    if (entry === undefined || now - entry.first >= this.slotMs) {
      entry = { first: now, at: now, amount: 0 };
      this.entries.push(entry);
    }
    entry.at = Math.max(entry.at, now);
    entry.amount += amount;
    this.sum += amount;
    return { entry, amount };
  }

  /** Sets a charge still in the window to `amount` (a charge that already left the window is ignored). */
  correct(charge: WindowCharge, amount: number, now: number): void {
    this.prune(now);
    if (charge.entry.at <= now - this.windowMs) return;
    const delta = amount - charge.amount;
    charge.entry.amount += delta;
    this.sum += delta;
    charge.amount = amount;
  }

  /** Takes a charge back (the request was refused or failed before it reached a model). */
  refund(charge: WindowCharge, now: number): void {
    this.correct(charge, 0, now);
  }

  /** Milliseconds until enough charges leave the window for `amount` to fit under `limit`. */
  msUntilFits(amount: number, limit: number, now: number): number {
    let remaining = this.total(now);
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as WindowEntry;
      remaining -= entry.amount;
      if (remaining === 0 || remaining + amount <= limit) return Math.max(0, entry.at + this.windowMs - now);
    }
    return 0;
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.entries.length && (this.entries[this.head] as WindowEntry).at <= cutoff) {
      this.sum -= (this.entries[this.head] as WindowEntry).amount;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    if (this.empty) this.sum = 0;
  }
}
