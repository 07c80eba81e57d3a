// Flushes reaching every replica: a flush sent to one replica deletes the shared entries and appends a record to a
// short list in the state store; every replica reads that list at most once per FOLLOW_INTERVAL_MS (off the request
// path, started by a lookup) and drops its own copies of the flushed scopes. Its own records it knows already.
import { randomUUID } from 'node:crypto';
import type { SharedStore } from '../../state/shared-store.ts';

/** Outside `response-cache:` on purpose: flushing everything must not delete the log of flushes. */
const FLUSH_LOG_KEY = 'response-cache-flushes';
const FLUSH_LOG_LENGTH = 64;
const FLUSH_LOG_TTL_MS = 24 * 3600 * 1000;
export const FOLLOW_INTERVAL_MS = 1000;
/** The record of a flush of everything (scope ids are `global`, `tenant:…` or `user:…`, never this). */
const ALL_SCOPES = '*';

export class SharedFlushLog {
  readonly #seen = new Set<string>();
  readonly #dropLocal: (scope: string | undefined) => void;
  #nextFollow = Number.NEGATIVE_INFINITY;
  #first = true;

  constructor(dropLocal: (scope: string | undefined) => void) {
    this.#dropLocal = dropLocal;
  }

  /** Tells the other replicas of a flush this replica has applied already. */
  async record(store: SharedStore, scope: string | undefined): Promise<void> {
    if (!store.appendCapped) return;
    const id = randomUUID();
    this.#seen.add(id);
    await store.appendCapped(
      FLUSH_LOG_KEY,
      `${id} ${scope ?? ALL_SCOPES}`,
      FLUSH_LOG_LENGTH,
      FLUSH_LOG_TTL_MS,
    );
  }

  /**
   * Reads the log when it is due, without holding up the caller, and applies the flushes not seen yet. The first
   * read only learns the records: they predate everything this replica stored.
   */
  follow(store: SharedStore, now: number, onError: (error: unknown) => void): void {
    if (now < this.#nextFollow || !store.readList) return;
    this.#nextFollow = now + FOLLOW_INTERVAL_MS;
    store.readList(FLUSH_LOG_KEY).then((records) => this.#apply(records), onError);
  }

  #apply(records: readonly string[]): void {
    const first = this.#first;
    this.#first = false;
    for (const record of records) {
      const space = record.indexOf(' ');
      if (space <= 0) continue;
      const id = record.slice(0, space);
      if (this.#seen.has(id)) continue;
      this.#seen.add(id);
      if (first) continue;
      const scope = record.slice(space + 1);
      this.#dropLocal(scope === ALL_SCOPES ? undefined : scope);
    }
    if (this.#seen.size > 4 * FLUSH_LOG_LENGTH) this.#forgetBut(records);
  }

  /** Keeps only the ids still in the log (it holds the latest FLUSH_LOG_LENGTH). */
  #forgetBut(records: readonly string[]): void {
    const live = new Set(records.map((record) => record.slice(0, record.indexOf(' '))));
    for (const id of this.#seen) if (!live.has(id)) this.#seen.delete(id);
  }
}
