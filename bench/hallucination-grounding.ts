// Figures of the hallucination plugin's grounding heuristic (docs/response-checks.md):
//   node --import tsx bench/hallucination-grounding.ts [--data ../shared/data] [--rows 3000]
// On MMLU-Pro rows the question and its options are the context the request carried (as a tool result would be),
// and four answers are checked against it: the correct option (grounded: any flag is a false positive), the correct
// option with its figure changed or a made-up figure (ungrounded number), a made-up person (ungrounded entity), and
// a wrong option (a wrong claim made of the context's own words, which the heuristic cannot see). Rows are read in
// file order, every k-th row so that all categories appear; nothing random.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkGrounding, GroundingContext } from '../src/plugins/grounding.ts';

interface MmluRow {
  readonly question: string;
  readonly options: readonly string[];
  readonly answer_index: number;
  readonly category: string;
}

const { values } = parseArgs({
  options: { data: { type: 'string', default: '../shared/data' }, rows: { type: 'string', default: '3000' } },
});
const dir = path.resolve(values.data as string, 'mmlu-pro');
const all: MmluRow[] = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) =>
    readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as MmluRow),
  );
const wanted = Math.min(all.length, Number(values.rows));
const step = all.length / wanted;
const rows = Array.from({ length: wanted }, (_, i) => all[Math.floor(i * step)] as MmluRow);

const LETTERS = 'ABCDEFGHIJ';
const MADE_UP_PEOPLE = [
  'Harold Vintermere',
  'Clara Oswinde',
  'Tobias Quellmark',
  'Ines Valderrock',
  'Marcus Feldgrau',
];

function contextOf(row: MmluRow): string {
  return `${row.question}\n${row.options.map((o, i) => `${LETTERS[i]}. ${o}`).join('\n')}`;
}

/** The option with its first number changed to one the context lacks, or a made-up figure appended. */
function withWrongFigure(option: string, context: string, seed: number): string {
  const match = option.match(/\d+(?:\.\d+)?/);
  let candidate = 7919 + seed * 37;
  if (match) {
    const value = Number(match[0]);
    candidate = Math.round(value * 1.37 + 13);
  }
  while (context.includes(String(candidate))) candidate += 101;
  return match ? option.replace(match[0], String(candidate)) : `${option}, about ${candidate} in total`;
}

const counts = { grounded: 0, figure: 0, person: 0, wrongOption: 0, unitsInGrounded: 0, unverified: 0 };
let checks = 0;
const started = process.hrtime.bigint();
rows.forEach((row, i) => {
  const text = contextOf(row);
  const context = new GroundingContext([text]);
  const correct = row.options[row.answer_index] ?? '';
  const wrong = row.options[(row.answer_index + 1) % row.options.length] ?? '';
  const letter = LETTERS[row.answer_index];
  const flagged = (answer: string) => {
    checks++;
    return checkGrounding(answer, context).unsupported.length > 0;
  };
  const grounded = `The answer is (${letter}): ${correct}.`;
  if (flagged(grounded)) counts.grounded++;
  if (flagged(`The answer is (${letter}): ${withWrongFigure(correct, text, i)}.`)) counts.figure++;
  if (flagged(`The answer is (${letter}), as ${MADE_UP_PEOPLE[i % MADE_UP_PEOPLE.length]} showed.`))
    counts.person++;
  if (flagged(`The answer is (${LETTERS[(row.answer_index + 1) % row.options.length]}): ${wrong}.`))
    counts.wrongOption++;
  // The same grounded answer with no context at all: the peer's "unverified factual" case when it states a fact.
  const noContext = new GroundingContext([]);
  if (checkGrounding(grounded, noContext).units.length > 0) counts.unverified++;
});
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

const pct = (n: number) => `${((100 * n) / rows.length).toFixed(1)} %`;
console.log(`hallucination grounding heuristic on ${rows.length} MMLU-Pro rows (${dir})`);
console.log(`  flagged, correct option (false positives)        ${pct(counts.grounded)}`);
console.log(`  flagged, correct option with a changed figure    ${pct(counts.figure)}`);
console.log(`  flagged, made-up person cited                    ${pct(counts.person)}`);
console.log(`  flagged, wrong option (context's own words)      ${pct(counts.wrongOption)}`);
console.log(
  `  correct answers with a factual unit, no context  ${pct(counts.unverified)} (marked unverified)`,
);
console.log(
  `  ${checks} checks in ${elapsedMs.toFixed(0)} ms: ${((1000 * elapsedMs) / checks).toFixed(1)} µs per check (context indexed per row)`,
);
