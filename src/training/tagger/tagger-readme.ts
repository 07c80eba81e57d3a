// The PII tagger's model card in prose (OUT/README.md) and the command line that rebuilds it.
import { formatPercent as pct } from '../metrics.ts';
import { trainCommandLine, wideMlpFlags } from '../trainer/reproduce.ts';
import type { TypeSpanScores } from './span-metrics.ts';
import type { TaggerCard } from './write-tagger.ts';

/** `semantic-router train --task pii …` with every setting explicit. */
export function taggerReproduceCommand(card: TaggerCard): string {
  const h = card.hyperParameters;
  const f = card.featurizer;
  const flags: [string, number][] = [
    ...wideMlpFlags(card.seed, f.buckets, h),
    ['max-features', f.maxFeatures],
    ['max-chars', f.maxChars],
    ['max-tokens', f.maxTokens],
    ['context-window', f.contextWindow],
  ];
  if (card.maxRows !== null) flags.push(['max-rows', card.maxRows]);
  return `${trainCommandLine('pii', card.name, flags)}${card.delexicalize ? ' --delexicalize' : ''}`;
}

function rows(scores: Record<string, TypeSpanScores>): string[] {
  return Object.entries(scores).map(
    ([type, s]) =>
      `| ${type} | ${s.exact.gold} | ${s.exact.predicted} | ${pct(s.exact.precision)} / ${pct(s.exact.recall)} / ${pct(s.exact.f1)} | ` +
      `${pct(s.overlap.precision)} / ${pct(s.overlap.recall)} / ${pct(s.overlap.f1)} |`,
  );
}

const HEADER = [
  '| type | gold spans | predicted | exact P / R / F1 | overlap P / R / F1 |',
  '|---|---:|---:|---:|---:|',
];

export function renderTaggerReadme(card: TaggerCard): string {
  return [
    `# Built-in model: ${card.name} (task \`pii\`)`,
    '',
    "Finds people's names (`PERSON`) and street addresses (`STREET_ADDRESS`) for the `pii` signal; the " +
      'structured types (emails, cards, IBANs, …) are found by validators, not by this model.',
    '',
    'Architecture: a token tagger. Text is split into word and punctuation tokens with character offsets; each ' +
      'token becomes a bag of hashed cues (its lower-cased word, shape such as `Xxxx` / `dddd`, affixes, character ' +
      'trigrams, the words and shapes of its neighbours within ±2, a bag of words within ' +
      `±${card.featurizer.contextWindow}, sentence / line start, digits nearby) → mean embedding → ReLU hidden layer → ` +
      'softmax over `O`, `PERSON`, `STREET_ADDRESS` (WideMLP, trained by this project), temperature-calibrated on ' +
      'validation tokens. Consecutive tokens of one label merge into a span (a word next to an entity joins it ' +
      'at probability ≥ 0.2; addresses may continue across commas and lines); span score = mean token probability.',
    '',
    `- File: \`${card.modelFile}\` (${(card.sizeBytes / 1024 / 1024).toFixed(2)} MiB, sha256 \`${card.modelSha256.slice(0, 16)}…\`)`,
    `- Seed ${card.seed}; best epoch ${card.training.bestEpoch} of ${card.training.epochsRun}; training ` +
      `${card.training.timeSeconds.toFixed(1)} s on Node ${card.nodeVersion}`,
    `- Temperature ${card.calibration.temperature.toFixed(3)}`,
    `- Reads the first ${card.featurizer.maxChars} characters and ${card.featurizer.maxTokens} tokens of a text`,
    `- Split: ${card.splitMethod}`,
    `- Reproduce: \`${taggerReproduceCommand(card)}\` (same seed and data give identical model.onnx bytes)`,
    '',
    '## Data',
    '',
    `\`${card.data.file}\` (${card.data.license}), read from \`../shared/data\` at training time and never copied ` +
      'into the repository. Other annotated types (GPE, ORGANIZATION, …) are trained as `O`.',
    '',
    '| split | texts | templates | tokens |',
    '|---|---:|---:|---:|',
    `| train | ${card.rows.train} | ${card.templates.train} | ${card.tokens.train} |`,
    `| validation | ${card.rows.validation} | ${card.templates.validation} | ${card.tokens.validation} |`,
    `| test | ${card.rows.test} | ${card.templates.test} | ${card.tokens.test} |`,
    '',
    '## Held-out test metrics (unseen templates)',
    '',
    `${card.metricsMethod.charAt(0).toUpperCase()}${card.metricsMethod.slice(1)}.`,
    '',
    ...HEADER,
    ...rows(card.metrics.test),
    '',
    'The structured validators on the same test texts (threshold 0.5), for comparison:',
    '',
    ...HEADER,
    ...rows(card.metrics.testStructured),
    '',
    `Latency p50 / p99 (batch 1, one text): ${card.latency.p50Ms} ms / ${card.latency.p99Ms} ms; ONNX export ` +
      `parity mismatches: ${card.latency.parityMismatches} of ${card.latency.samples} test texts.`,
    '',
    '## Limits',
    '',
    '- 1,500 synthetic sentences from about 200 templates: expect lower recall on real prompts, on names in ' +
      'lower case and on address formats unlike the templates.',
    '- Presidio annotates addresses inconsistently (sometimes with the city, sometimes without), so exact-boundary ' +
      'scores for `STREET_ADDRESS` understate how often the address is found; see the overlap column.',
    '- Capitalised words in a name-like position are sometimes tagged `PERSON` although they name a place or a ' +
      'people (`the capital of France`), and surnames that the synthetic data uses in company names are weak; ' +
      'tokens inside annotated organisations are left out of training for that reason.',
    '- Text beyond the first characters / tokens above is not tagged; long texts are featurised in slices of 128 ' +
      'tokens between event-loop turns.',
    '',
  ].join('\n');
}
