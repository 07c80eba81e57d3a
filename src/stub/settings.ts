// What the stub does with each request (timing, answer size, faults), validated once wherever it is set: options,
// command-line flags, the per-request test headers and the runtime admin endpoint `POST /stub/fault`.
import { z } from 'zod';
import { STUB_REQUEST_HEADER } from './headers.ts';

/** How a faulted request fails: an error status, a socket destroyed mid-answer, or no answer at all. */
export const FAULT_MODES = ['status', 'reset', 'hang'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** The knobs a test may change while the stub runs (`POST /stub/fault`); each request reads them on arrival. */
export interface StubSettings {
  /** Milliseconds from admission (after the queue) to the first token: the response headers and first frame. */
  readonly ttftMs: number;
  /** Decode speed: token i (from 0) is ready `ttftMs + i / tokensPerSecond` after admission. 0: unpaced. */
  readonly tokensPerSecond: number;
  /**
   * Output tokens of an answer (one generated word is one token): the echo line, padded with generated words up
   * to this many. The echo is never cut, so 0 (the default) answers the echo alone.
   */
  readonly completionTokens: number;
  /** Probability (0..1) that a request fails in `mode`; drawn from the seeded PRNG when `seed` is set. */
  readonly errorRate: number;
  /** Status of a `status` fault. */
  readonly errorStatus: number;
  readonly mode: FaultMode;
  /** When set, the first `failAfter` requests after the settings last changed succeed and all later ones fail. */
  readonly failAfter: number | null;
}

export const DEFAULT_SETTINGS: StubSettings = {
  ttftMs: 0,
  tokensPerSecond: 0,
  completionTokens: 0,
  errorRate: 0,
  errorStatus: 503,
  mode: 'status',
  failAfter: null,
};

const ttftMs = z.number().min(0).max(3_600_000);
const completionTokens = z.int().min(0).max(1_000_000);

const settingsSchema = z.strictObject({
  ttftMs,
  tokensPerSecond: z.number().min(0),
  completionTokens,
  errorRate: z.number().min(0).max(1),
  errorStatus: z.int().min(400).max(599),
  mode: z.enum(FAULT_MODES),
  failAfter: z.int().min(0).nullable(),
});

/** The body of `POST /stub/fault`: any subset of the settings. */
export const settingsPatchSchema = settingsSchema.partial();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** What `createStubServer` takes: the pool it plays, startup-only capacity and PRNG, and initial settings. */
export interface StubOptions extends Partial<StubSettings> {
  /** Pool this stub plays (echoed in `x-stub-pool` and in every answer). */
  readonly pool: string;
  /** The served model name: `model_name` label of /metrics and the one entry of /v1/models (default: none). */
  readonly model?: string | undefined;
  /** Requests answered at once; later ones wait in a FIFO queue. Default: unlimited. */
  readonly maxConcurrency?: number | undefined;
  /** Seed of the PRNG that draws faults, so a test's sequence of failures is reproducible. */
  readonly seed?: number | undefined;
  /**
   * The logprob of every token of a model's answer to a chat request that asks for `logprobs` (non-streaming), by
   * request `model`; models not listed report none. For tests of confidence-based loopers.
   */
  readonly modelLogprobs?: Readonly<Record<string, number>> | undefined;
}

const optionsSchema = settingsPatchSchema.extend({
  pool: z.string().min(1),
  model: z.string().min(1).optional(),
  maxConcurrency: z.int().min(1).optional(),
  seed: z.int().optional(),
  modelLogprobs: z.record(z.string(), z.number().max(0)).optional(),
});

export interface ParsedStubOptions {
  readonly pool: string;
  readonly model: string | undefined;
  readonly maxConcurrency: number;
  readonly seed: number | undefined;
  readonly modelLogprobs: Readonly<Record<string, number>>;
  readonly settings: StubSettings;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Validates options; throws a RangeError naming every bad field. */
export function parseStubOptions(options: StubOptions): ParsedStubOptions {
  const result = optionsSchema.safeParse(withoutUndefined(options));
  if (!result.success) throw new RangeError(`invalid stub options:\n${z.prettifyError(result.error)}`);
  const { pool, model, maxConcurrency, seed, modelLogprobs, ...settings } = result.data;
  return {
    pool,
    model,
    maxConcurrency: maxConcurrency ?? Number.POSITIVE_INFINITY,
    seed,
    modelLogprobs: modelLogprobs ?? {},
    settings: { ...DEFAULT_SETTINGS, ...withoutUndefined(settings) },
  };
}

/** Validates a `POST /stub/fault` body; the error message lists the bad fields. */
export function parseSettingsPatch(
  body: unknown,
): { ok: true; patch: SettingsPatch } | { ok: false; message: string } {
  const result = settingsPatchSchema.safeParse(body);
  return result.success
    ? { ok: true, patch: withoutUndefined(result.data) }
    : { ok: false, message: z.prettifyError(result.error) };
}

/** What the test headers of one request ask for. */
export interface RequestOverrides {
  readonly ttftMs?: number;
  readonly completionTokens?: number;
  readonly status?: number;
}

const headerNumber = z.string().trim().min(1).pipe(z.coerce.number());
const statusSchema = z.int().refine((s) => s === 200 || (s >= 400 && s <= 599), 'must be 200 or 400..599');

function readHeader(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
  schema: z.ZodType<number, number>,
): number | undefined {
  const raw = headers[name];
  if (raw === undefined) return undefined;
  const parsed = headerNumber.pipe(schema).safeParse(Array.isArray(raw) ? raw.join(',') : raw);
  if (!parsed.success) throw new RangeError(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Reads the test headers; throws a RangeError naming a malformed one. */
export function readOverrides(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): RequestOverrides {
  const ttft = readHeader(headers, STUB_REQUEST_HEADER.ttftMs, ttftMs);
  const tokens = readHeader(headers, STUB_REQUEST_HEADER.tokens, completionTokens);
  const status = readHeader(headers, STUB_REQUEST_HEADER.status, statusSchema);
  return {
    ...(ttft === undefined ? {} : { ttftMs: ttft }),
    ...(tokens === undefined ? {} : { completionTokens: tokens }),
    ...(status === undefined ? {} : { status }),
  };
}
