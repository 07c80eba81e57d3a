// The `jailbreak` task: jailbreak / injection prompts vs benign and safe-but-scary prompts, split by attack group.
import { hashString } from '../../ml/wide-mlp/features.ts';
import { BENIGN_INSTRUCTION_SPLIT, benignInstructions } from './benign-instructions.ts';
import { buildDataset, type Candidate, readCsv, readJsonl } from './build.ts';
import { normalizeForDedupe, SPLIT_METHOD, splitOf } from './split.ts';
import type { TaskDataset } from './types.ts';

export const JAILBREAK_LABELS: readonly string[] = ['benign', 'jailbreak'];
const BENIGN = 0;
const JAILBREAK = 1;

/** Where `[INSERT PROMPT HERE]` templates get a harmful goal. */
export const TEMPLATE_SLOT = '[INSERT PROMPT HERE]';

export const JAILBREAK_FILES = {
  'jbb-jailbreak': ['jbb-artifacts/jbb_jailbreak_prompts.csv'],
  'gptfuzz-template': ['gptfuzz/GPTFuzzer_templates.csv', 'jbb-artifacts/jbb_harmful_behaviors.csv'],
  'deepset-injection': ['deepset-prompt-injections/train.jsonl', 'deepset-prompt-injections/test.jsonl'],
  'deepset-benign': ['deepset-prompt-injections/train.jsonl', 'deepset-prompt-injections/test.jsonl'],
  'xstest-safe': ['xstest/xstest_prompts.csv'],
  'mmlu-pro-benign': ['mmlu-pro/mmlu_pro_test_question_category.csv'],
  'gqr-finance-benign': ['gqr-proxy/finance_banking77_test.csv'],
  'gqr-healthcare-benign': ['gqr-proxy/healthcare_genmedgpt5k.csv'],
  'lingua-benign': ['lingua-langid/lingua_testdata_24langs.csv'],
  'lingua-short-benign': ['lingua-langid/lingua_testdata_24langs.csv'],
  'webquestions-benign': ['gqr-proxy/ood_webquestions_test.csv'],
  'templated-benign': ['lingua-langid/lingua_testdata_24langs.csv'],
  'routerbench-benign': [
    'routerbench-subset/routerbench_mbpp.csv',
    'routerbench-subset/routerbench_arc-challenge.csv',
  ],
} as const;

/** Benign sources over which the target false-positive rate is stated (safe-but-scary and ordinary prompts). */
export const JAILBREAK_REFERENCE_NEGATIVES: readonly string[] = [
  'xstest-safe',
  'mmlu-pro-benign',
  'gqr-finance-benign',
  'gqr-healthcare-benign',
  'lingua-benign',
  'lingua-short-benign',
  'webquestions-benign',
  'templated-benign',
  'routerbench-benign',
];

export interface JailbreakOptions {
  /** Harmful goals inserted into each gptfuzz template; 4 unless told. */
  readonly goalsPerTemplate?: number;
  /** Benign MMLU-Pro questions sampled; 1500 unless told. */
  readonly mmluBenign?: number;
  /** Benign sentences sampled from the 24-language lingua set; 2400 unless told. */
  readonly linguaBenign?: number;
  /** Benign gqr-proxy texts sampled from each of finance and healthcare; 750 unless told. */
  readonly gqrBenignPerDomain?: number;
  /** Two-word phrases sampled from the 24-language lingua set; 1200 unless told. */
  readonly shortBenign?: number;
  /** Short factual questions sampled from gqr-proxy's WebQuestions file; 750 unless told. */
  readonly webQuestionsBenign?: number;
  /** Fillings of each everyday-instruction template (benign-instructions.ts); 12 unless told. */
  readonly fillsPerInstruction?: number;
}

export const JAILBREAK_SPLIT_METHOD =
  `${SPLIT_METHOD}; jailbreak groups: jbb prompts and harmful goals by JailbreakBench behavior ` +
  "('jbb-behavior:<behavior>'), gptfuzz by template id ('gptfuzz-template:<id>', each template filled only " +
  `with goals whose behavior is in the same split), ${BENIGN_INSTRUCTION_SPLIT}, everything else by normalised text`;

/** Split group of a JailbreakBench behavior; prompts and goals of one behavior share it. */
export function behaviorGroup(behavior: string): string {
  return `jbb-behavior:${normalizeForDedupe(behavior)}`;
}

/** Split group of a gptfuzz template. */
export function templateGroup(id: string): string {
  return `gptfuzz-template:${id.trim()}`;
}

/** The first `n` items by a stable hash of their key: a deterministic sample independent of file order. */
function sampleByHash<T>(items: readonly T[], key: (item: T) => string, n: number): T[] {
  return items
    .map((item) => ({ item, h: hashString(key(item)), k: key(item) }))
    .sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .slice(0, n)
    .map((x) => x.item);
}

/** Loads positives (jbb, filled gptfuzz templates, deepset injections) and negatives (deepset, xstest, benign). */
export function loadJailbreakDataset(dataDir: string, options: JailbreakOptions = {}): TaskDataset {
  const goalsPerTemplate = options.goalsPerTemplate ?? 4;
  const candidates: Candidate[] = [];

  for (const row of readCsv(dataDir, JAILBREAK_FILES['jbb-jailbreak'][0], ['prompt', 'behavior'])) {
    const prompt = row.prompt ?? '';
    if (prompt.trim() === '') continue;
    candidates.push({
      text: prompt,
      label: JAILBREAK,
      source: 'jbb-jailbreak',
      group: behaviorGroup(row.behavior ?? ''),
    });
  }

  const goals = readCsv(dataDir, 'jbb-artifacts/jbb_harmful_behaviors.csv', ['goal', 'behavior'])
    .filter((row) => (row.goal ?? '').trim() !== '')
    .map((row) => ({ goal: row.goal ?? '', split: splitOf(behaviorGroup(row.behavior ?? '')) }));
  for (const row of readCsv(dataDir, 'gptfuzz/GPTFuzzer_templates.csv', ['id', 'text'])) {
    const template = row.text ?? '';
    const id = row.id ?? '';
    if (!template.includes(TEMPLATE_SLOT)) continue;
    const group = templateGroup(id);
    const split = splitOf(group);
    const sameSplit = goals.filter((g) => g.split === split);
    for (const { goal } of sampleByHash(sameSplit, (g) => `${id}\u0000${g.goal}`, goalsPerTemplate)) {
      candidates.push({
        text: template.replaceAll(TEMPLATE_SLOT, goal),
        label: JAILBREAK,
        source: 'gptfuzz-template',
        group,
      });
    }
  }

  const deepset = JAILBREAK_FILES['deepset-injection'].flatMap((file) => readJsonl(dataDir, file));
  for (const row of deepset) {
    if (typeof row.text !== 'string') continue;
    const injection = row.label === 1;
    if (injection) candidates.push({ text: row.text, label: JAILBREAK, source: 'deepset-injection' });
  }
  for (const row of deepset) {
    if (typeof row.text !== 'string' || row.label !== 0) continue;
    candidates.push({ text: row.text, label: BENIGN, source: 'deepset-benign' });
  }

  for (const row of readCsv(dataDir, JAILBREAK_FILES['xstest-safe'][0], ['prompt', 'label'])) {
    if ((row.label ?? '').trim() !== 'safe') continue;
    candidates.push({ text: row.prompt ?? '', label: BENIGN, source: 'xstest-safe' });
  }

  const mmlu = readCsv(dataDir, JAILBREAK_FILES['mmlu-pro-benign'][0], ['question']).map(
    (r) => r.question ?? '',
  );
  for (const text of sampleByHash(mmlu, (t) => t, options.mmluBenign ?? 1500)) {
    candidates.push({ text, label: BENIGN, source: 'mmlu-pro-benign' });
  }
  const perDomain = options.gqrBenignPerDomain ?? 750;
  for (const source of ['gqr-finance-benign', 'gqr-healthcare-benign'] as const) {
    const texts = readCsv(dataDir, JAILBREAK_FILES[source][0], ['text']).map((r) => r.text ?? '');
    for (const text of sampleByHash(texts, (t) => t, perDomain)) {
      candidates.push({ text, label: BENIGN, source });
    }
  }
  // Ordinary sentences in 24 languages: without them, non-English text looks unusual enough to be flagged.
  const sentences = readCsv(dataDir, JAILBREAK_FILES['lingua-benign'][0], ['kind', 'text'])
    .filter((r) => r.kind === 'sentence')
    .map((r) => r.text ?? '');
  for (const text of sampleByHash(sentences, (t) => t, options.linguaBenign ?? 2400)) {
    candidates.push({ text, label: BENIGN, source: 'lingua-benign' });
  }
  // Short texts have few features, so a greeting shared with jailbreak openers ("Hello ChatGPT…") decided them:
  // two-word phrases and short factual questions teach the model that brevity is ordinary.
  const lingua = readCsv(dataDir, JAILBREAK_FILES['lingua-short-benign'][0], ['lang', 'kind', 'text']);
  const pairs = lingua.filter((r) => r.kind === 'word_pair').map((r) => r.text ?? '');
  for (const text of sampleByHash(pairs, (t) => t, options.shortBenign ?? 1200)) {
    candidates.push({ text, label: BENIGN, source: 'lingua-short-benign' });
  }
  const questions = readCsv(dataDir, JAILBREAK_FILES['webquestions-benign'][0], ['text']).map(
    (r) => r.text ?? '',
  );
  for (const text of sampleByHash(questions, (t) => t, options.webQuestionsBenign ?? 750)) {
    candidates.push({ text, label: BENIGN, source: 'webquestions-benign' });
  }
  const english = lingua.filter((r) => r.lang === 'en');
  candidates.push(
    ...benignInstructions(
      {
        topics: english.filter((r) => r.kind === 'word_pair').map((r) => r.text ?? ''),
        sentences: english.filter((r) => r.kind === 'sentence').map((r) => r.text ?? ''),
      },
      options.fillsPerInstruction ?? 12,
      BENIGN,
      'templated-benign',
    ),
  );
  // Coding and reasoning tasks are imperative ("Write a function…") like injections; they must stay benign.
  for (const file of JAILBREAK_FILES['routerbench-benign']) {
    for (const row of readCsv(dataDir, file, ['prompt'])) {
      if (row.prompt) candidates.push({ text: row.prompt, label: BENIGN, source: 'routerbench-benign' });
    }
  }
  return buildDataset('jailbreak', JAILBREAK_LABELS, candidates, JAILBREAK_FILES, JAILBREAK_SPLIT_METHOD);
}
