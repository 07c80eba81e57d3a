// Request traces the simulator replays: arrival time, prompt and completion token counts, and (Mooncake) the ids of
// the prompt's 512-token prefix blocks, which say which requests share a prefix the KV cache could reuse.
import path from 'node:path';
import { csvRecords } from './csv.ts';
import { readInputFile, SimulationInputError } from './input-error.ts';

/** Tokens per Mooncake prefix block (`hash_ids`): the trace's own block size. */
export const TRACE_BLOCK_TOKENS = 512;

export interface TraceRequest {
  /** Milliseconds after the trace's first request. */
  readonly arrivalMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Prefix block ids, first block first; equal leading ids = a shared prefix. Empty when the trace has none. */
  readonly blocks: readonly number[];
}

export type TraceFormat = 'azure' | 'mooncake';

function nonNegativeInt(raw: unknown, what: string, file: string, line: number): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new SimulationInputError(
      file,
      `${what} must be a non-negative integer, got ${JSON.stringify(raw)}`,
      line,
    );
  }
  return value;
}

// Azure's TIMESTAMP: `2023-11-16 18:17:03.9799600` (UTC, up to 7 fraction digits).
const AZURE_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

function azureTimestampMs(raw: string, file: string, line: number): number {
  const match = AZURE_TIMESTAMP.exec(raw.trim());
  if (!match) {
    throw new SimulationInputError(
      file,
      `TIMESTAMP must look like 2023-11-16 18:17:03.98, got '${raw}'`,
      line,
    );
  }
  const [, y, mo, d, h, mi, s, fraction] = match;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return whole + (fraction ? Number(`0.${fraction}`) * 1000 : 0);
}

/** Sorts by arrival (stable) and makes times relative to the first request. */
function normalised(requests: TraceRequest[]): TraceRequest[] {
  requests.sort((a, b) => a.arrivalMs - b.arrivalMs);
  const origin = requests[0]?.arrivalMs ?? 0;
  return origin === 0 ? requests : requests.map((r) => ({ ...r, arrivalMs: r.arrivalMs - origin }));
}

/** Azure LLM inference trace CSV: `TIMESTAMP,ContextTokens,GeneratedTokens` (columns found by name). */
export function parseAzureTrace(
  text: string,
  file: string,
  limit = Number.POSITIVE_INFINITY,
): TraceRequest[] {
  const records = csvRecords(text);
  const header = records.next();
  if (header.done)
    throw new SimulationInputError(
      file,
      'empty trace (expected a TIMESTAMP,ContextTokens,GeneratedTokens header)',
    );
  const names = header.value.fields.map((f) => f.trim().toLowerCase());
  const column = (name: string): number => {
    const index = names.indexOf(name.toLowerCase());
    if (index < 0) {
      throw new SimulationInputError(
        file,
        `missing column ${name} (header: ${header.value.fields.join(',')})`,
        1,
      );
    }
    return index;
  };
  const time = column('TIMESTAMP');
  const context = column('ContextTokens');
  const generated = column('GeneratedTokens');
  const requests: TraceRequest[] = [];
  for (const { line, fields } of records) {
    if (requests.length >= limit) break;
    if (fields.length !== names.length) {
      throw new SimulationInputError(file, `expected ${names.length} fields, got ${fields.length}`, line);
    }
    requests.push({
      arrivalMs: azureTimestampMs(fields[time] ?? '', file, line),
      inputTokens: nonNegativeInt(fields[context], 'ContextTokens', file, line),
      outputTokens: nonNegativeInt(fields[generated], 'GeneratedTokens', file, line),
      blocks: [],
    });
  }
  return normalised(requests);
}

/** Mooncake trace JSONL: `{"timestamp": ms, "input_length", "output_length", "hash_ids": [...]}` per line. */
export function parseMooncakeTrace(
  text: string,
  file: string,
  limit = Number.POSITIVE_INFINITY,
): TraceRequest[] {
  const requests: TraceRequest[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && requests.length < limit; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const line = i + 1;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      throw new SimulationInputError(file, 'not a JSON object', line);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new SimulationInputError(file, 'not a JSON object', line);
    }
    const r = row as Record<string, unknown>;
    if (typeof r.timestamp !== 'number' || !Number.isFinite(r.timestamp) || r.timestamp < 0) {
      throw new SimulationInputError(
        file,
        `timestamp must be a non-negative number of ms, got ${JSON.stringify(r.timestamp)}`,
        line,
      );
    }
    const hashIds = r.hash_ids ?? [];
    if (!Array.isArray(hashIds))
      throw new SimulationInputError(file, 'hash_ids must be an array of integers', line);
    requests.push({
      arrivalMs: r.timestamp,
      inputTokens: nonNegativeInt(r.input_length, 'input_length', file, line),
      outputTokens: nonNegativeInt(r.output_length, 'output_length', file, line),
      blocks: hashIds.map((id) => nonNegativeInt(id, 'each of hash_ids', file, line)),
    });
  }
  return normalised(requests);
}

/** The format of a trace file by its extension: `.csv` Azure, `.jsonl` Mooncake. */
export function traceFormat(file: string): TraceFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'azure';
  if (ext === '.jsonl') return 'mooncake';
  throw new SimulationInputError(
    file,
    'unknown trace format: expected an Azure .csv or a Mooncake .jsonl file',
  );
}

/** Reads a trace file (at most `limit` requests, in file order, then sorted by arrival). */
export async function readTrace(file: string, limit?: number): Promise<TraceRequest[]> {
  const format = traceFormat(file);
  const text = await readInputFile(file, 'the trace');
  const requests =
    format === 'azure' ? parseAzureTrace(text, file, limit) : parseMooncakeTrace(text, file, limit);
  if (requests.length === 0) throw new SimulationInputError(file, 'the trace has no requests');
  return requests;
}
