// Evaluates the `modality` signal's detector (src/signals/modality-detect.ts): false DIFFUSION / BOTH rate on text
// traffic (alpacaeval-prompts, clinc150 test split) and recall on the held-out image prompts of
// bench/data/modality-eval-prompts.ts. Prints aggregate figures only, never texts.
// Usage: node --import tsx bench/modality-eval.ts [--data ../shared/data]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { detectModality, type Modality } from '../src/signals/modality-detect.ts';
import { parseCsvRecords } from './csv.ts';
import {
  HELD_OUT_BOTH_PROMPTS,
  HELD_OUT_DIFFUSION_PROMPTS,
  HELD_OUT_TEXT_TRAPS,
} from './data/modality-eval-prompts.ts';

function dataDir(argv: readonly string[]): string {
  const at = argv.indexOf('--data');
  return at >= 0 ? (argv[at + 1] ?? '../shared/data') : '../shared/data';
}

function counts(texts: readonly string[]): Record<Modality, number> {
  const out: Record<Modality, number> = { AR: 0, DIFFUSION: 0, BOTH: 0 };
  for (const text of texts) out[detectModality(text).modality] += 1;
  return out;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(2)} %`;
}

const data = dataDir(process.argv.slice(2));
const alpaca = parseCsvRecords(
  readFileSync(path.join(data, 'alpacaeval-prompts/alpaca_eval_instructions.csv'), 'utf8'),
).map((r) => r.instruction ?? '');
const clinc = parseCsvRecords(readFileSync(path.join(data, 'clinc150/clinc150_full.csv'), 'utf8'))
  .filter((r) => r.split === 'test')
  .map((r) => r.text ?? '');

console.log('| set | n | AR | DIFFUSION | BOTH | figure |');
console.log('|---|---|---|---|---|---|');
for (const [name, texts, expected] of [
  ['alpacaeval-prompts (text)', alpaca, 'AR'],
  ['clinc150 test (text)', clinc, 'AR'],
  ['held-out text traps', HELD_OUT_TEXT_TRAPS, 'AR'],
  ['held-out DIFFUSION', HELD_OUT_DIFFUSION_PROMPTS, 'DIFFUSION'],
  ['held-out BOTH', HELD_OUT_BOTH_PROMPTS, 'BOTH'],
] as const) {
  const c = counts(texts);
  const figure =
    expected === 'AR'
      ? `false image rate ${pct(c.DIFFUSION + c.BOTH, texts.length)}`
      : `recall ${pct(c[expected], texts.length)}; any image ${pct(c.DIFFUSION + c.BOTH, texts.length)}`;
  console.log(`| ${name} | ${texts.length} | ${c.AR} | ${c.DIFFUSION} | ${c.BOTH} | ${figure} |`);
}
