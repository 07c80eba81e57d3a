// The `fact_check` heuristic on labelled sources: factoid web questions, MMLU-Redux history / law / health questions
// and patients' questions should need a fact check; CLINC150 small talk, AlpacaEval write/compose/imagine requests
// and MBPP coding tasks should not. Each source is split in half by a hash of the text: the cues were tuned on
// `dev` only; `test` is the figure to quote.
// Usage: node --import tsx bench/fact-check-eval.ts [--data ../shared/data] [--split dev|test|both]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyFactCheck } from '../src/signals/fact-check.ts';
import { parseCsvRecords } from './csv.ts';

interface Source {
  readonly name: string;
  readonly needsFactCheck: boolean;
  readonly texts: readonly string[];
}

function parseArgs(argv: readonly string[]) {
  let data = '../shared/data';
  let split = 'both';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') data = argv[++i] ?? data;
    else if (arg === '--split') split = argv[++i] ?? split;
    else
      throw new Error(
        `unknown argument ${arg}; usage: fact-check-eval.ts [--data DIR] [--split dev|test|both]`,
      );
  }
  return { data, split };
}

/** FNV-1a of the text: even = dev, odd = test. */
function splitOf(text: string): 'dev' | 'test' {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash % 2 === 0 ? 'dev' : 'test';
}

const CREATIVE_START = /^(?:write|compose|imagine|create|draft|invent|generate)\b/i;
const SMALL_TALK = 'small_talk';

function sources(dataDir: string): Source[] {
  const csv = (file: string) => parseCsvRecords(readFileSync(join(dataDir, file), 'utf8'));
  const redux = csv('mmlu-redux/mmlu_redux_57subjects.csv');
  const reduxQuestions = (category: string) =>
    redux.filter((r) => r.mmlu_pro_category === category).map((r) => r.question ?? '');
  return [
    {
      name: 'gqr-proxy web questions (factoid)',
      needsFactCheck: true,
      texts: csv('gqr-proxy/ood_webquestions_test.csv').map((r) => r.text ?? ''),
    },
    { name: 'MMLU-Redux history questions', needsFactCheck: true, texts: reduxQuestions('history') },
    { name: 'MMLU-Redux law questions', needsFactCheck: true, texts: reduxQuestions('law') },
    { name: 'MMLU-Redux health questions', needsFactCheck: true, texts: reduxQuestions('health') },
    {
      name: 'gqr-proxy patients’ questions (GenMedGPT)',
      needsFactCheck: true,
      texts: csv('gqr-proxy/healthcare_genmedgpt5k.csv').map((r) => r.text ?? ''),
    },
    {
      name: 'CLINC150 small talk (test split)',
      needsFactCheck: false,
      texts: csv('clinc150/clinc150_full.csv')
        .filter((r) => r.domain === SMALL_TALK && r.split === 'test')
        .map((r) => r.text ?? ''),
    },
    {
      name: 'AlpacaEval write/compose/imagine requests',
      needsFactCheck: false,
      texts: csv('alpacaeval-prompts/alpaca_eval_instructions.csv')
        .map((r) => r.instruction ?? '')
        .filter((t) => CREATIVE_START.test(t.trim())),
    },
    {
      name: 'RouterBench MBPP coding tasks',
      needsFactCheck: false,
      texts: csv('routerbench-subset/routerbench_mbpp.csv').map((r) =>
        (r.prompt ?? '').replace(/^\['|'\]$/g, ''),
      ),
    },
  ];
}

const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)} %`;

function report(all: readonly Source[], split: 'dev' | 'test'): void {
  console.log(`split ${split}: share labelled as the source's label`);
  let right = 0;
  let total = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const source of all) {
    const texts = source.texts.filter((t) => t.trim() !== '' && splitOf(t) === split);
    const expected = source.needsFactCheck ? 'needs_fact_check' : 'no_fact_check_needed';
    let ok = 0;
    for (const text of texts) {
      const needs = classifyFactCheck(text) === 'needs_fact_check';
      if (needs === source.needsFactCheck) ok++;
      if (needs && source.needsFactCheck) tp++;
      else if (needs) fp++;
      else if (source.needsFactCheck) fn++;
    }
    right += ok;
    total += texts.length;
    console.log(
      `  ${source.name.padEnd(44)} ${String(texts.length).padStart(5)}  ${expected.padEnd(21)} ${pct(ok, texts.length)}`,
    );
  }
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  console.log(
    `  accuracy ${pct(right, total)}; needs_fact_check precision ${pct(tp, tp + fp)}, recall ${pct(tp, tp + fn)}, F1 ${((2 * precision * recall) / Math.max(1e-9, precision + recall)).toFixed(3)}\n`,
  );
}

const args = parseArgs(process.argv.slice(2));
const all = sources(args.data);
if (args.split === 'dev' || args.split === 'both') report(all, 'dev');
if (args.split === 'test' || args.split === 'both') report(all, 'test');
