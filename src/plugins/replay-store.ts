// Router replay records in memory: one bounded ring per decision (its plugin's max_records, the oldest dropped),
// shared by the policy generations of a process so that a reload keeps what was recorded. The admin server lists
// them (GET /replay) and `explain --replay` re-routes one.

/** One routed request as router_replay recorded it (JSON as GET /replay/<id> returns it). */
export interface ReplayRecord {
  readonly id: string;
  readonly recorded_at: string;
  readonly decision: { readonly name: string; readonly confidence: number };
  readonly signals: readonly {
    readonly family: string;
    readonly duration_ms: number;
    readonly matches: readonly { readonly name: string; readonly confidence: number }[];
    readonly error?: string;
  }[];
  readonly model: { readonly name: string; readonly provider_model_id: string };
  readonly pool: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly api: string;
    readonly stream: boolean;
    /** Request headers less credentials (authorization, cookies, API keys, tokens) and pseudo-headers. */
    readonly headers: Readonly<Record<string, string>>;
    /** The request body as received, only with capture_request_body (cut at max_body_bytes). */
    readonly body?: string;
    readonly body_truncated?: boolean;
    /** Roles of the conversation's tool steps (assistant tool calls, tool results), at most max_tool_trace_steps. */
    readonly tool_trace: readonly { readonly role: string; readonly tool_calls: number }[];
  };
  readonly response: {
    readonly status: number | null;
    readonly streaming: boolean;
    readonly complete: boolean;
    readonly ttft_ms: number | null;
    readonly latency_ms: number | null;
    readonly usage: {
      readonly prompt_tokens: number;
      readonly completion_tokens: number;
      readonly cached_prompt_tokens: number;
      readonly reasoning_tokens: number;
    } | null;
    readonly cost: number | null;
    /** A response check (response_jailbreak) blocked the answer. */
    readonly blocked: boolean;
    /** The answer body, only with capture_response_body (cut at max_body_bytes). */
    readonly body?: string;
    readonly body_truncated?: boolean;
  };
}

/** A fixed-size ring: pushing into a full ring overwrites its oldest record. */
class Ring {
  #records: ReplayRecord[] = [];
  /** Index of the oldest record once the ring is full (0 before). */
  #start = 0;
  #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  resize(capacity: number): void {
    if (capacity === this.#capacity) return;
    this.#records = this.inOrder().slice(-capacity);
    this.#start = 0;
    this.#capacity = capacity;
  }

  push(record: ReplayRecord): void {
    if (this.#records.length < this.#capacity) {
      this.#records.push(record);
      return;
    }
    this.#records[this.#start] = record;
    this.#start = (this.#start + 1) % this.#capacity;
  }

  get size(): number {
    return this.#records.length;
  }

  /** Oldest first. */
  inOrder(): ReplayRecord[] {
    return [...this.#records.slice(this.#start), ...this.#records.slice(0, this.#start)];
  }
}

export class ReplayStore {
  readonly #rings = new Map<string, Ring>();

  /** Keeps `record` in its decision's ring of `capacity` records (a reload may change it). */
  add(decision: string, capacity: number, record: ReplayRecord): void {
    let ring = this.#rings.get(decision);
    if (!ring) {
      ring = new Ring(capacity);
      this.#rings.set(decision, ring);
    }
    ring.resize(capacity);
    ring.push(record);
  }

  /** Every record, newest first. */
  list(): ReplayRecord[] {
    return [...this.#rings.values()]
      .flatMap((ring) => ring.inOrder())
      .sort((a, b) => (a.recorded_at < b.recorded_at ? 1 : a.recorded_at > b.recorded_at ? -1 : 0));
  }

  get(id: string): ReplayRecord | undefined {
    for (const ring of this.#rings.values()) {
      const found = ring.inOrder().findLast((record) => record.id === id);
      if (found) return found;
    }
    return undefined;
  }

  get size(): number {
    let size = 0;
    for (const ring of this.#rings.values()) size += ring.size;
    return size;
  }

  clear(): void {
    this.#rings.clear();
  }
}

/** The process's records: what the router_replay plugins of every policy generation write and /replay reads. */
export const REPLAY_RECORDS = new ReplayStore();
