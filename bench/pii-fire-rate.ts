// Runs the real `pii` signal (src/signals/pii.ts) over the cross-source sets (src/training/datasets/pii-cross-source.ts):
// how often each policy's PII rule fires on exam questions, everyday prompts and other languages, and the recall of
// rules naming the types on held-out PII texts. Prints aggregate figures only, never texts.
// Usage: node --import tsx bench/pii-fire-rate.ts [--data ../shared/data] [--max-rows N] [--json]
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { decodeJsonBody, parseOpenAIRequest } from '../src/request/openai-request.ts';
import { buildRequestContext } from '../src/request/request-context.ts';
import { piiFamily } from '../src/signals/pii.ts';
import type { SignalEvaluator } from '../src/signals/signal-family.ts';
import { meetsTarget } from '../src/training/datasets/cross-source.ts';
import { crossSourceSets, type PiiCrossSourceSet } from '../src/training/datasets/pii-cross-source.ts';

interface Args {
  readonly data: string;
  readonly maxRows: number;
  readonly json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let data = '../shared/data';
  let maxRows = Number.POSITIVE_INFINITY;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') data = argv[++i] ?? data;
    else if (arg === '--max-rows') maxRows = Number(argv[++i]);
    else if (arg === '--json') json = true;
    else
      throw new Error(
        `unknown argument ${arg}; usage: pii-fire-rate.ts [--data DIR] [--max-rows N] [--json]`,
      );
  }
  return { data, maxRows, json };
}

/** The `pii` rules of a policy file, as written. */
function policyRules(file: string): unknown[] {
  const doc = parse(readFileSync(file, 'utf8')) as { routing?: { signals?: { pii?: unknown[] } } };
  return doc.routing?.signals?.pii ?? [];
}

/** A signal evaluator over one rule, and whether that rule matches a single-user-message request. */
async function ruleFires(
  rawRule: unknown,
): Promise<{ fires: (text: string) => Promise<boolean>; close(): void }> {
  const rule = piiFamily.ruleSchema.parse(rawRule);
  const evaluator: SignalEvaluator = await piiFamily.create([rule], { policyDir: 'policies' });
  return {
    async fires(text: string) {
      const body = Buffer.from(
        JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }] }),
      );
      const request = parseOpenAIRequest(decodeJsonBody(body), '/v1/chat/completions');
      const context = buildRequestContext({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: new Map(),
        request,
      });
      const matches = await evaluator.evaluate(context);
      return matches.some((m) => m.name === rule.name);
    },
    close: () => evaluator.close?.(),
  };
}

/** The rules whose figures are reported: each shipped policy's rule, and rules that report names. */
function ruleColumns(): { readonly column: string; readonly rule: unknown }[] {
  const pick = (file: string) => policyRules(file)[0];
  return [
    { column: 'default.yaml', rule: pick('policies/default.yaml') },
    { column: 'ml-guardrails.yaml', rule: pick('policies/ml-guardrails.yaml') },
    {
      column: 'all types + names',
      rule: {
        name: 'names',
        pii_types: [
          'EMAIL_ADDRESS',
          'PHONE_NUMBER',
          'CREDIT_CARD',
          'IBAN_CODE',
          'US_SSN',
          'PERSON',
          'STREET_ADDRESS',
        ],
      },
    },
    {
      column: 'structured + US IDs',
      rule: {
        name: 'ids',
        pii_types: [
          'EMAIL_ADDRESS',
          'PHONE_NUMBER',
          'CREDIT_CARD',
          'IBAN_CODE',
          'US_SSN',
          'US_ITIN',
          'US_PASSPORT',
          'US_DRIVER_LICENSE',
          'US_BANK_NUMBER',
        ],
      },
    },
  ];
}

interface Row {
  readonly set: string;
  readonly metric: string;
  readonly rows: number;
  readonly target: number | undefined;
  readonly values: Record<string, number>;
}

/** Milliseconds of each batch-1 evaluation, per rule column. */
const latencies = new Map<string, number[]>();

async function rate(
  set: PiiCrossSourceSet,
  fires: (text: string) => Promise<boolean>,
  maxRows: number,
  column = '',
) {
  const rows = set.rows.slice(0, maxRows);
  const times = latencies.get(column) ?? [];
  latencies.set(column, times);
  let hits = 0;
  for (const row of rows) {
    const started = process.hrtime.bigint();
    if (await fires(row.text)) hits++;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return rows.length === 0 ? 0 : hits / rows.length;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sets = crossSourceSets(args.data);
  const columns = ruleColumns();
  const evaluators = await Promise.all(columns.map((c) => ruleFires(c.rule)));
  const table: Row[] = [];
  for (const set of sets) {
    const values: Record<string, number> = {};
    if (set.metric === 'recall' && set.types !== undefined) {
      const typed = await ruleFires({ name: 'typed', pii_types: set.types });
      values[`pii_types: ${set.types.length > 1 ? 'structured' : set.types.join(',')}`] = await rate(
        set,
        typed.fires,
        args.maxRows,
      );
      typed.close();
    }
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]?.column ?? '';
      values[column] = await rate(
        set,
        (evaluators[i] as { fires: (t: string) => Promise<boolean> }).fires,
        args.maxRows,
        column,
      );
    }
    table.push({
      set: set.name,
      metric: set.metric,
      rows: Math.min(set.rows.length, args.maxRows),
      target: set.target,
      values,
    });
  }
  for (const e of evaluators) e.close();
  const timing = Object.fromEntries(
    [...latencies]
      .filter(([column]) => column !== '')
      .map(([column, times]) => {
        const sorted = [...times].sort((a, b) => a - b);
        return [column, { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: sorted.length }];
      }),
  );
  if (args.json) {
    console.log(JSON.stringify({ table, timing }, null, 2));
    return;
  }
  for (const [column, t] of Object.entries(timing))
    console.log(
      `batch-1 latency, ${column}: p50 ${t.p50.toFixed(3)} ms, p99 ${t.p99.toFixed(3)} ms (${t.n} requests)`,
    );
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  for (const row of table) {
    const cells = Object.entries(row.values).map(([k, v]) => {
      const ok = meetsTarget({ metric: row.metric as 'recall', target: row.target }, v) ? '' : ' ✗';
      return `${k} ${pct(v)}${ok}`;
    });
    const target =
      row.target === undefined
        ? ''
        : ` (target ${row.metric === 'fire_rate' ? '≤' : '≥'} ${pct(row.target)})`;
    console.log(`${row.set} [${row.metric}, ${row.rows} rows${target}]: ${cells.join(' | ')}`);
  }
}

await main();
