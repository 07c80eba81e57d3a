// Trace readers: Azure CSV and Mooncake JSONL rows become requests relative to the first arrival; bad rows are
// refused with the file and line.
import { describe, expect, it } from 'vitest';
import { SimulationInputError } from '../../../src/simulate/input-error.ts';
import { parseAzureTrace, parseMooncakeTrace, readTrace } from '../../../src/simulate/trace.ts';
import { TRACE_DIR } from '../../helpers/simulate-traces.ts';

const FIXTURES = 'test/fixtures/simulate';

describe('Azure trace', () => {
  it('reads arrivals relative to the first request, with token counts and no prefix blocks', async () => {
    const trace = await readTrace(`${TRACE_DIR}/azure-tiny.csv`);
    expect(trace).toHaveLength(6);
    expect(trace[0]).toEqual({ arrivalMs: 0, inputTokens: 374, outputTokens: 44, blocks: [] });
    expect(trace[1]?.arrivalMs).toBeCloseTo(4314.579, 3);
    expect(trace[5]).toMatchObject({ inputTokens: 2048, outputTokens: 30 });
    expect(trace[5]?.arrivalMs).toBeCloseTo(5319.41, 2);
  });

  it('stops after --limit rows', async () => {
    expect(await readTrace(`${TRACE_DIR}/azure-tiny.csv`, 2)).toHaveLength(2);
  });

  it('sorts rows by arrival time', () => {
    const text =
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:02,10,1\n2023-11-16 18:00:01,20,2\n';
    expect(parseAzureTrace(text, 'x.csv').map((r) => [r.arrivalMs, r.inputTokens])).toEqual([
      [0, 20],
      [1000, 10],
    ]);
  });

  it.each([
    [
      'azure-bad-tokens.csv',
      /azure-bad-tokens\.csv:3: ContextTokens must be a non-negative integer, got "many"/,
    ],
    ['azure-bad-time.csv', /azure-bad-time\.csv:2: TIMESTAMP must look like/],
  ])('refuses %s naming the line', async (file, message) => {
    await expect(readTrace(`${TRACE_DIR}/${file}`)).rejects.toThrow(message);
  });

  it('refuses a file without the expected columns', () => {
    expect(() => parseAzureTrace('time,input,output\n1,2,3\n', 'x.csv')).toThrow(/missing column TIMESTAMP/);
  });
});

describe('Mooncake trace', () => {
  it('reads timestamps, token counts and prefix block ids', async () => {
    const trace = await readTrace(`${TRACE_DIR}/mooncake-tiny.jsonl`);
    expect(trace).toHaveLength(8);
    expect(trace[2]).toEqual({
      arrivalMs: 500,
      inputTokens: 2400,
      outputTokens: 30,
      blocks: [0, 1, 2, 4, 5],
    });
  });

  it('treats missing hash_ids as no prefix blocks', () => {
    const [row] = parseMooncakeTrace('{"timestamp": 5, "input_length": 10, "output_length": 1}\n', 'x.jsonl');
    expect(row).toEqual({ arrivalMs: 0, inputTokens: 10, outputTokens: 1, blocks: [] });
  });

  it.each([
    [
      'mooncake-bad-hash.jsonl',
      /mooncake-bad-hash\.jsonl:2: each of hash_ids must be a non-negative integer/,
    ],
    ['mooncake-not-json.jsonl', /mooncake-not-json\.jsonl:2: not a JSON object/],
  ])('refuses %s naming the line', async (file, message) => {
    const error = await readTrace(`${TRACE_DIR}/${file}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimulationInputError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a negative output length', () => {
    expect(() =>
      parseMooncakeTrace('{"timestamp": 0, "input_length": 10, "output_length": -1}', 'x.jsonl'),
    ).toThrow(/x\.jsonl:1: output_length must be a non-negative integer/);
  });
});

describe('trace files', () => {
  it('refuses an unknown extension and a missing file', async () => {
    await expect(readTrace('trace.parquet')).rejects.toThrow(/unknown trace format/);
    await expect(readTrace(`${FIXTURES}/absent.jsonl`)).rejects.toThrow(/cannot read the trace \(ENOENT\)/);
  });
});
