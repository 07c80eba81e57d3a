// An exact sliding-window log: every charge is kept with its time until it leaves the window, so a limit never
// admits more than its budget in any window, and a charge can be corrected later (token usage known at the end).

/** One charge in the window; `amount` may be corrected while it is in the window. */
export interface WindowEntry {
  readonly at: number;
  amount: number;
}

export class SlidingWindowLog {
  private entries: WindowEntry[] = [];
  /** Index of the oldest live entry (older ones are dropped in batches to keep shifts cheap). */
  private head = 0;
  private sum = 0;

  constructor(private readonly windowMs: number) {}

  /** The amount charged within the window ending at `now`. */
  total(now: number): number {
    this.prune(now);
    return this.sum;
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

  charge(amount: number, now: number): WindowEntry {
    const entry: WindowEntry = { at: now, amount };
    this.entries.push(entry);
    this.sum += amount;
    return entry;
  }

  /** Sets a charge still in the window to `amount` (a charge that already left the window is ignored). */
  correct(entry: WindowEntry, amount: number, now: number): void {
    this.prune(now);
    if (entry.at <= now - this.windowMs) return;
    this.sum += amount - entry.amount;
    entry.amount = amount;
  }

  /** Takes a charge back (the request was refused or failed before it reached a model). */
  refund(entry: WindowEntry, now: number): void {
    this.correct(entry, 0, now);
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
