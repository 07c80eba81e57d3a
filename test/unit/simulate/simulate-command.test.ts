// `semantic-router simulate` on the fixtures: the table with its columns, the CSV and SVG files, clear errors.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { simulateCommand } from '../../../src/cli/simulate.ts';
import { SUMMARY_COLUMNS } from '../../../src/simulate/report.ts';
import { TRACE_DIR } from '../../helpers/simulate-traces.ts';

const FIXTURES = 'test/fixtures/simulate';

async function command(args: string[]) {
  let out = '';
  let err = '';
  const code = await simulateCommand(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

describe('semantic-router simulate', () => {
  it('prints a table per strategy and writes the CSV and SVG files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'simulate-'));
    const { code, out, err } = await command([
      '--policy',
      `${FIXTURES}/two-pools.yaml`,
      '--trace',
      `${TRACE_DIR}/mooncake-tiny.jsonl`,
      '--strategies',
      'ordered,least_loaded',
      '--out',
      dir,
    ]);
    expect(err).toMatch(/ordered: 8 requests in/);
    expect(code).toBe(0);
    // The fleet beside the policy was found without --fleet.
    expect(out).toContain(`fleet ${FIXTURES}/two-pools.fleet.yaml`);
    const header = out.split('\n').find((line) => line.startsWith('strategy')) ?? '';
    for (const column of SUMMARY_COLUMNS) expect(header).toContain(column);
    expect(out).toMatch(/^ordered\s+8\s+0\s/m);
    expect(out).toMatch(/^least_loaded\s+8\s+0\s/m);
    expect(out).toContain('per pool:');

    const summary = (await readFile(path.join(dir, 'simulate-summary.csv'), 'utf8')).trim().split('\n');
    expect(summary[0]).toMatch(
      /^strategy,requests,completed,rejected,answered_by_router,ttft_p50_ms,ttft_p99_ms/,
    );
    expect(summary.slice(1).map((line) => line.split(',')[0])).toEqual(['ordered', 'least_loaded']);
    const pools = await readFile(path.join(dir, 'simulate-pools.csv'), 'utf8');
    expect(pools).toContain('ordered,cheap-pool,nvidia-l4,');
    const svg = await readFile(path.join(dir, 'simulate.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('>least_loaded</text>');
    // One p99 bar per strategy (the legend swatch has no tooltip).
    expect(svg.match(/fill="#1f4e8c"><title>/g)).toHaveLength(2);
  });

  it('compares a strategy with the policy as written, for the same seed the same table', async () => {
    const args = ['--policy', `${FIXTURES}/two-pools.yaml`, '--trace', `${TRACE_DIR}/azure-tiny.csv`];
    const first = await command([...args, '--strategies', 'policy,cheapest', '--seed', '3']);
    const again = await command([...args, '--strategies', 'policy,cheapest', '--seed', '3']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^policy\s+6\s/m);
    expect(first.out).toMatch(/^cheapest\s+6\s/m);
    expect(again.out).toBe(first.out);
  });

  it.each([
    [['--trace', `${TRACE_DIR}/azure-tiny.csv`], 2, /simulate needs --policy FILE/],
    [['--policy', `${FIXTURES}/two-pools.yaml`], 2, /simulate needs --trace FILE/],
    [
      ['--policy', `${FIXTURES}/two-pools.yaml`, '--trace', `${TRACE_DIR}/azure-tiny.csv`, '--limit', '0'],
      2,
      /--limit must be an integer ≥ 1/,
    ],
    [
      [
        '--policy',
        `${FIXTURES}/two-pools.yaml`,
        '--trace',
        `${TRACE_DIR}/azure-tiny.csv`,
        '--strategies',
        'fastest',
      ],
      1,
      /unknown strategy 'fastest' \(known: policy, ordered, least_loaded/,
    ],
    [
      ['--policy', `${FIXTURES}/two-pools.yaml`, '--trace', `${TRACE_DIR}/azure-bad-tokens.csv`],
      1,
      /azure-bad-tokens\.csv:3: ContextTokens/,
    ],
    [
      [
        '--policy',
        'policies/default.yaml',
        '--trace',
        `${TRACE_DIR}/azure-tiny.csv`,
        '--fleet',
        `${FIXTURES}/two-pools.fleet.yaml`,
      ],
      1,
      /two-pools\.fleet\.yaml.*pools\.cheap-pool: the policy has no pool 'cheap-pool'/,
    ],
    [
      ['--policy', `${FIXTURES}/absent.yaml`, '--trace', `${TRACE_DIR}/azure-tiny.csv`],
      1,
      /no fleet file for this policy/,
    ],
  ])('refuses %j with exit %i', async (args, code, message) => {
    const result = await command(args);
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message);
  });

  it('runs as a subcommand of the CLI', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'simulate',
        '--policy',
        `${FIXTURES}/two-pools.yaml`,
        '--trace',
        `${TRACE_DIR}/azure-tiny.csv`,
        '--limit',
        '3',
        '--strategies',
        'ordered',
      ],
      { timeout: 30_000 },
    );
    expect(stdout).toMatch(/^3 requests over/);
    expect(stdout).toMatch(/^ordered\s+3\s+0\s/m);
  });
});
