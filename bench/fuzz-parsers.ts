// Long fuzz run of the request parsers (the generator of test/unit/request/parser-fuzz.test.ts, many more cases):
// prints counts per API, case kind and outcome; exits 1 when any case crashed or broke an invariant.
// Usage: node --import tsx bench/fuzz-parsers.ts [--cases 200000] [--seed 1]
import { type FuzzCase, fuzzCases, runFuzzCase } from '../test/helpers/request-fuzz.ts';

interface Args {
  readonly cases: number;
  readonly seed: number;
}

function parseArgs(argv: readonly string[]): Args {
  let cases = 200_000;
  let seed = 1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--cases') cases = Number(argv[++i]);
    else if (arg === '--seed') seed = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}; usage: fuzz-parsers.ts [--cases N] [--seed S]`);
  }
  if (!Number.isSafeInteger(cases) || cases < 1) throw new Error('--cases must be a positive integer');
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  return { cases, seed };
}

function sample(fuzz: FuzzCase): string {
  const text = Buffer.from(fuzz.bytes.subarray(0, 160)).toString('utf8');
  return `${fuzz.api}/${fuzz.kind} (${fuzz.bytes.length} bytes): ${JSON.stringify(text)}`;
}

function main(): void {
  const { cases, seed } = parseArgs(process.argv.slice(2));
  const counts = new Map<string, number>();
  const failures: string[] = [];
  let failed = 0;
  const started = process.hrtime.bigint();
  for (const fuzz of fuzzCases(seed, cases)) {
    const result = runFuzzCase(fuzz);
    let outcome: string = result.outcome;
    if (result.outcome === 'rejected') outcome = `rejected:${result.code}`;
    else if (result.outcome === 'parsed' && result.violations.length > 0) outcome = 'invariant_violation';
    const key = `${fuzz.api}\t${fuzz.kind}\t${outcome}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (outcome === 'crash' || outcome === 'invariant_violation') {
      failed++;
      if (failures.length < 10) {
        const why =
          result.outcome === 'crash'
            ? String(result.error)
            : result.outcome === 'parsed'
              ? result.violations.join('; ')
              : '';
        failures.push(`${sample(fuzz)}\n    → ${why}`);
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const byOutcome = new Map<string, number>();
  for (const [key, n] of counts) {
    const outcome = key.split('\t')[2] as string;
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + n);
  }
  process.stdout.write(`fuzz-parsers: ${cases} cases, seed ${seed}, ${seconds.toFixed(1)} s\n\n`);
  process.stdout.write('api\tkind\toutcome\tcount\n');
  for (const key of [...counts.keys()].sort()) process.stdout.write(`${key}\t${counts.get(key)}\n`);
  process.stdout.write('\noutcome\tcount\n');
  for (const [outcome, n] of [...byOutcome].sort()) process.stdout.write(`${outcome}\t${n}\n`);
  if (failed > 0) {
    process.stdout.write(`\n${failed} failing case(s); first ones:\n${failures.join('\n')}\n`);
    process.exitCode = 1;
  }
}

main();
