// Calibrates the `preferences` signal on clinc150: 30 intents (every 5th, sorted) become rules whose examples are
// the first 3 train utterances of the intent; the test split is scored. Positives are test utterances of those
// intents (the right rule should win and pass the threshold), negatives the other intents' and out-of-scope ones
// (no rule should pass). Also scores the built-in topic embedder the same way, for comparison. Aggregates only.
// Usage: node --import tsx bench/preferences-eval.ts [--data ../shared/data] [--examples 3]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cosine } from '../src/ml/vector-math.ts';
import { loadRuleEmbedders } from '../src/signals/embeddings.ts';
import { bestPreference, compilePreferences } from '../src/signals/preferences.ts';
import { parseCsvRecords } from './csv.ts';

function option(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  const at = argv.indexOf(name);
  return at >= 0 ? (argv[at + 1] ?? fallback) : fallback;
}

const data = option('--data', '../shared/data');
const exampleCount = Number(option('--examples', '3'));
const rows = parseCsvRecords(readFileSync(path.join(data, 'clinc150/clinc150_full.csv'), 'utf8'));
const intents = [...new Set(rows.filter((r) => r.intent !== 'oos').map((r) => r.intent ?? ''))].sort();
const chosen = intents.filter((_, i) => i % 5 === 0);
const examples = new Map(
  chosen.map((intent) => [
    intent,
    rows
      .filter((r) => r.split === 'train' && r.intent === intent)
      .slice(0, exampleCount)
      .map((r) => r.text ?? ''),
  ]),
);
const test = rows.filter((r) => r.split === 'test');
const isPositive = (intent: string | undefined) => examples.has(intent ?? '');

interface Scored {
  readonly positive: boolean;
  readonly oos: boolean;
  readonly right: boolean;
  readonly score: number;
}

function report(label: string, scored: readonly Scored[], thresholds: readonly number[]): void {
  const pos = scored.filter((s) => s.positive);
  const other = scored.filter((s) => !s.positive && !s.oos);
  const oos = scored.filter((s) => s.oos);
  const rate = (set: readonly Scored[], f: (s: Scored) => boolean) =>
    `${((100 * set.filter(f).length) / set.length).toFixed(1)} %`;
  console.log(
    `\n${label}: ${pos.length} positives, ${other.length} other-intent, ${oos.length} out-of-scope`,
  );
  console.log(`best rule is the right one (no threshold): ${rate(pos, (s) => s.right)}`);
  console.log('| threshold | recall (right rule) | wrong rule | other intents fire | out-of-scope fire |');
  console.log('|---|---|---|---|---|');
  for (const t of thresholds)
    console.log(
      `| ${t} | ${rate(pos, (s) => s.right && s.score >= t)} | ${rate(pos, (s) => !s.right && s.score >= t)} | ${rate(other, (s) => s.score >= t)} | ${rate(oos, (s) => s.score >= t)} |`,
    );
}

const rules = compilePreferences(chosen.map((name) => ({ name, examples: examples.get(name) ?? [] })));
report(
  `preferences (lexical, peer scale), ${exampleCount} examples per rule`,
  test.map((r) => {
    const best = bestPreference(rules, r.text ?? '');
    return {
      positive: isPositive(r.intent),
      oos: r.intent === 'oos',
      right: best?.rule.name === r.intent,
      score: best?.score ?? 0,
    };
  }),
  [0.5, 0.6, 0.7, 0.8, 0.9],
);

const embedders = await loadRuleEmbedders([undefined], { policyDir: '.' });
const model = embedders.byRule[0];
if (model) {
  const banks = await Promise.all(chosen.map((intent) => model.embed(examples.get(intent) ?? [])));
  const queries = await model.embed(test.map((r) => r.text ?? ''));
  report(
    'built-in topic embedder (raw cosine), same rules',
    test.map((r, k) => {
      let best = -1;
      let bestIntent = '';
      banks.forEach((bank, i) => {
        for (const v of bank) {
          const s = cosine(queries[k] ?? new Float32Array(0), v);
          if (s > best) [best, bestIntent] = [s, chosen[i] ?? ''];
        }
      });
      return {
        positive: isPositive(r.intent),
        oos: r.intent === 'oos',
        right: bestIntent === r.intent,
        score: best,
      };
    }),
    [0.7, 0.9, 0.95, 0.98],
  );
  model.close();
}
process.exit(0);
