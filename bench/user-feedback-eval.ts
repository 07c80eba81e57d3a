// The `user_feedbacks` detector: per-label recall on hand-written held-out follow-ups (bench/data), and how often it
// fires on real follow-up requests that are not feedback (CLINC150 test queries, AlpacaEval instructions), each
// placed as the second user turn after an assistant answer.
// Usage: node --import tsx bench/user-feedback-eval.ts [--data ../shared/data] [--show-hits]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userFeedbackFamily } from '../src/signals/user-feedback.ts';
import { FEEDBACK_LABELS, type FeedbackLabel } from '../src/signals/user-feedback-phrases.ts';
import { followUpContext } from './conversation-context.ts';
import { parseCsvRecords } from './csv.ts';

const HELD_OUT = new URL('./data/user-feedback-heldout.json', import.meta.url);
/** CLINC150 intents that are themselves reactions to an answer ("thanks", "yes that's right", "no that's wrong"). */
const REACTION_INTENTS = new Set(['thank_you', 'yes', 'no']);

function parseArgs(argv: readonly string[]) {
  let data = '../shared/data';
  let showHits = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') data = argv[++i] ?? data;
    else if (arg === '--show-hits') showHits = true;
    else throw new Error(`unknown argument ${arg}; usage: user-feedback-eval.ts [--data DIR] [--show-hits]`);
  }
  return { data, showHits };
}

const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)} %`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const evaluator = await userFeedbackFamily.create(
    FEEDBACK_LABELS.map((name) => ({ name })),
    { policyDir: '.' },
  );
  const labelOf = async (text: string): Promise<string | undefined> =>
    (await evaluator.evaluate(followUpContext(text)))[0]?.name;

  const heldOut = JSON.parse(readFileSync(HELD_OUT, 'utf8')) as Record<FeedbackLabel, string[]>;
  console.log('held-out feedback phrasings (written before the patterns, same author)');
  console.log('  label               n   recall   labelled other   none');
  let allHits = 0;
  let all = 0;
  for (const label of FEEDBACK_LABELS) {
    const texts = heldOut[label];
    let hit = 0;
    let other = 0;
    for (const text of texts) {
      const got = await labelOf(text);
      if (got === label) hit++;
      else if (got !== undefined) other++;
    }
    allHits += hit;
    all += texts.length;
    console.log(
      `  ${label.padEnd(18)} ${String(texts.length).padStart(3)}   ${pct(hit, texts.length).padStart(7)}   ${pct(other, texts.length).padStart(7)}          ${pct(texts.length - hit - other, texts.length)}`,
    );
  }
  console.log(`  all                ${String(all).padStart(3)}   ${pct(allHits, all).padStart(7)}\n`);

  const clinc = parseCsvRecords(readFileSync(join(args.data, 'clinc150/clinc150_full.csv'), 'utf8')).filter(
    (r) => r.split === 'test',
  );
  const alpaca = parseCsvRecords(
    readFileSync(join(args.data, 'alpacaeval-prompts/alpaca_eval_instructions.csv'), 'utf8'),
  );
  const sources = [
    {
      name: 'CLINC150 test queries',
      rows: clinc.map((r) => ({ text: r.text ?? '', group: r.intent ?? '' })),
    },
    {
      name: 'AlpacaEval instructions',
      rows: alpaca.map((r) => ({ text: r.instruction ?? '', group: r.dataset ?? '' })),
    },
  ];
  console.log('non-feedback follow-ups labelled as feedback (false positives)');
  for (const source of sources) {
    const byLabel = new Map<string, number>();
    const byGroup = new Map<string, number>();
    const hits: string[] = [];
    for (const row of source.rows) {
      const got = await labelOf(row.text);
      if (got === undefined) continue;
      byLabel.set(got, (byLabel.get(got) ?? 0) + 1);
      byGroup.set(row.group, (byGroup.get(row.group) ?? 0) + 1);
      if (args.showHits) hits.push(`    ${got}: ${row.text.slice(0, 100)}`);
    }
    const total = [...byLabel.values()].reduce((a, b) => a + b, 0);
    const labels = [...byLabel].map(([l, n]) => `${l} ${n}`).join(', ');
    const groups = [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ');
    console.log(
      `  ${source.name}: ${total} / ${source.rows.length} = ${pct(total, source.rows.length)} (${labels})`,
    );
    if (total > 0) console.log(`    most from: ${groups}`);
    const reactions = source.rows.filter((r) => REACTION_INTENTS.has(r.group));
    if (reactions.length > 0) {
      const inReactions = [...byGroup]
        .filter(([g]) => REACTION_INTENTS.has(g))
        .reduce((a, [, n]) => a + n, 0);
      const rest = source.rows.length - reactions.length;
      console.log(
        `    without the reaction intents ${[...REACTION_INTENTS].join(', ')}: ${total - inReactions} / ${rest} = ${pct(total - inReactions, rest)}`,
      );
    }
    for (const line of hits) console.log(line);
  }
}

await main();
