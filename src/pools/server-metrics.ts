// Reads a model server's Prometheus text exposition (vLLM, SGLang, TGI) into the few load figures pool choice uses.

/**
 * Load of one pool as its serving engine reports it. A field is absent when the engine does not export it.
 * Counts are summed over label sets (one per served model, LoRA adapter or data-parallel engine); KV-cache
 * usage is the largest over label sets, because the fullest engine is the one that starts queueing first.
 */
export interface ScrapedLoad {
  /** Requests queued in the engine, not yet scheduled. */
  readonly waiting?: number;
  /** Requests in the running batch. */
  readonly running?: number;
  /** Fraction of the KV cache in use, 0..1. */
  readonly kvCacheUsage?: number;
}

type Field = keyof ScrapedLoad;

/**
 * The metric names read, per engine. vLLM's `*_perc` gauges are fractions in 0..1 despite the name;
 * `gpu_cache_usage_perc` is the V0 engine's name, `kv_cache_usage_perc` the V1 engine's.
 */
export const SERVER_METRIC_NAMES: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['vllm:num_requests_waiting', 'waiting'],
  ['vllm:num_requests_running', 'running'],
  ['vllm:gpu_cache_usage_perc', 'kvCacheUsage'],
  ['vllm:kv_cache_usage_perc', 'kvCacheUsage'],
  ['sglang:num_queue_reqs', 'waiting'],
  ['sglang:num_running_reqs', 'running'],
  ['sglang:token_usage', 'kvCacheUsage'],
  ['tgi_queue_size', 'waiting'],
  ['tgi_batch_current_size', 'running'],
]);

function isNameStart(code: number): boolean {
  // A-Z, a-z, _ and :
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 58;
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r';
}

/**
 * Parses one sample value as Prometheus does (Go's ParseFloat): decimals, exponents, `NaN`, `+Inf`, `-Inf`.
 * Returns undefined for anything else.
 */
export function parseSampleValue(token: string): number | undefined {
  switch (token.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case '+inf':
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
  }
  // Number('') is 0 and Number('0x10') is 16: neither is a valid sample value.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token)) return undefined;
  return Number(token);
}

const KNOWN: readonly (readonly [string, Field])[] = [...SERVER_METRIC_NAMES];

/** The field of the metric whose name spans text[start, end), without allocating a string. */
function fieldOf(text: string, start: number, end: number): Field | undefined {
  for (const [name, field] of KNOWN) {
    if (name.length === end - start && text.startsWith(name, start)) return field;
  }
  return undefined;
}

/** Index just past the label set opening at `start` (`{`), honouring quoted values with `\"` escapes; -1 if unclosed. */
function skipLabels(text: string, start: number, end: number): number {
  let i = start + 1;
  while (i < end) {
    const ch = text[i];
    if (ch === '}') return i + 1;
    if (ch === '"') {
      i++;
      while (i < end && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= end) return -1;
    }
    i++;
  }
  return -1;
}

/** The field of a sample whose name is quoted inside its label set (`{"vllm:num_requests_running",a="b"}`). */
function quotedField(text: string, start: number, end: number): Field | undefined {
  let i = start + 1;
  while (isSpace(text[i])) i++;
  if (text[i] !== '"') return undefined;
  let name = '';
  for (i++; i < end && text[i] !== '"'; i++) {
    if (text[i] === '\\') i++;
    name += text[i] ?? '';
  }
  if (i >= end) return undefined;
  i++;
  while (isSpace(text[i])) i++;
  // A quoted name is followed by `,` or `}`; a quoted label value would be preceded by `=` instead.
  return text[i] === ',' || text[i] === '}' ? SERVER_METRIC_NAMES.get(name) : undefined;
}

/** Field and value of the sample line text[start, end), or undefined when it is not a sample of a metric we read. */
function readSample(text: string, start: number, end: number): { field: Field; value: number } | undefined {
  let i = start;
  while (i < end && isSpace(text[i])) i++;
  if (i >= end) return undefined;
  let field: Field | undefined;
  if (text[i] === '{') {
    field = quotedField(text, i, end);
  } else if (isNameStart(text.charCodeAt(i))) {
    const nameStart = i;
    while (i < end && isNameChar(text.charCodeAt(i))) i++;
    field = fieldOf(text, nameStart, i);
  }
  if (field === undefined) return undefined;
  const afterName = i;
  while (i < end && isSpace(text[i])) i++;
  if (text[i] === '{') {
    i = skipLabels(text, i, end);
    if (i < 0 || i >= end || !isSpace(text[i])) return undefined;
    while (i < end && isSpace(text[i])) i++;
  } else if (i === afterName) {
    return undefined;
  }
  let valueEnd = i;
  while (valueEnd < end && !isSpace(text[valueEnd])) valueEnd++;
  // A timestamp may follow the value; it is ignored (the scraper stamps the time it read the body).
  const value = parseSampleValue(text.slice(i, valueEnd));
  return value === undefined ? undefined : { field, value };
}

/**
 * Longest line kept while waiting for its end across chunks. The lines we read are short; a longer one is a label
 * set no engine emits for these gauges, and is skipped to keep the buffered remainder bounded.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Incremental parser of a Prometheus text exposition (also OpenMetrics text): feed it the body chunk by chunk as it
 * arrives (each chunk costs time linear in its size, so the event loop is never held for a whole body), then
 * `result()`. Allocation-free on lines of metrics it does not read; unknown metrics, comments, histograms and
 * malformed lines are skipped, never thrown on. Samples that are not finite, or negative, are ignored (a NaN gauge
 * says "unknown", not "zero"). The caller caps the body size.
 */
export class ServerMetricsParser {
  #waiting: number | undefined;
  #running: number | undefined;
  #kvCacheUsage: number | undefined;
  /** The unfinished last line of the chunks so far. */
  #rest = '';
  /** Inside a line longer than MAX_LINE_CHARS: skip up to the next newline. */
  #skipping = false;

  push(chunk: string): void {
    let text = chunk;
    if (this.#skipping) {
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      this.#skipping = false;
      text = text.slice(newline + 1);
    }
    if (this.#rest !== '') {
      text = this.#rest + text;
      this.#rest = '';
    }
    const last = text.lastIndexOf('\n');
    const tail = text.slice(last + 1);
    if (tail.length > MAX_LINE_CHARS) this.#skipping = true;
    else this.#rest = tail;
    this.#lines(text, Math.max(last, 0));
  }

  /** The load read so far, including a last line without a newline. */
  result(): ScrapedLoad {
    if (this.#rest !== '') {
      this.#lines(this.#rest, this.#rest.length);
      this.#rest = '';
    }
    return {
      ...(this.#waiting === undefined ? {} : { waiting: this.#waiting }),
      ...(this.#running === undefined ? {} : { running: this.#running }),
      ...(this.#kvCacheUsage === undefined ? {} : { kvCacheUsage: this.#kvCacheUsage }),
    };
  }

  /** Reads the lines of text[0, limit). */
  #lines(text: string, limit: number): void {
    let start = 0;
    while (start < limit) {
      let end = text.indexOf('\n', start);
      if (end < 0 || end > limit) end = limit;
      const skip = text[start] === '#' || end - start > MAX_LINE_CHARS;
      const sample = skip ? undefined : readSample(text, start, end);
      if (sample !== undefined && Number.isFinite(sample.value) && sample.value >= 0) {
        const { field, value } = sample;
        if (field === 'waiting') this.#waiting = (this.#waiting ?? 0) + value;
        else if (field === 'running') this.#running = (this.#running ?? 0) + value;
        else this.#kvCacheUsage = Math.max(this.#kvCacheUsage ?? 0, Math.min(1, value));
      }
      start = end + 1;
    }
  }
}

/** Parses a whole exposition body (see ServerMetricsParser). */
export function parseServerMetrics(text: string): ScrapedLoad {
  const parser = new ServerMetricsParser();
  parser.push(text);
  return parser.result();
}

/** Whether a parsed body carried any figure we read (an empty result means a wrong endpoint or engine). */
export function hasLoad(load: ScrapedLoad): boolean {
  return load.waiting !== undefined || load.running !== undefined || load.kvCacheUsage !== undefined;
}
