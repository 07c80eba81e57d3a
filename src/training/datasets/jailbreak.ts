// The `jailbreak` task: jailbreak / injection prompts and plainly unsafe requests (by content-safety category) vs
// benign and safe-but-scary prompts, split by attack group. Label 0 is `benign`; every other label is unsafe, so
// P(unsafe) = 1 − P(benign) and the category is the most likely unsafe label (a two-level decision in one head).
import { SAFETY_CATEGORIES } from '../../signals/jailbreak-categories.ts';
import { BENIGN_INSTRUCTION_SPLIT, benignInstructions } from './benign-instructions.ts';
import { buildDataset, type Candidate, readCsv, readJsonl } from './build.ts';
import { EVERYDAY_TASK_SPLIT, everydayTasks } from './everyday-tasks.ts';
import { EVERYDAY_TRIGGER_SPLIT, everydayTriggers } from './everyday-triggers.ts';
import { redTeamCategory } from './red-team-lexicon.ts';
import { sampleByHash } from './sample.ts';
import { normalizeForDedupe, SPLIT_METHOD, splitOf } from './split.ts';
import type { TaskDataset } from './types.ts';
import { UNSAFE_REQUEST_SPLIT, type UnsafeCategory, unsafeRequests } from './unsafe-requests.ts';

/** `benign`, then the unsafe categories: `jailbreak` is prompt injection and jailbreak / persona framing. */
export const JAILBREAK_LABELS: readonly string[] = ['benign', ...SAFETY_CATEGORIES];
const BENIGN = 0;
const JAILBREAK = 1;

/** Label index of an unsafe category. */
export function categoryLabel(category: UnsafeCategory): number {
  return JAILBREAK_LABELS.indexOf(category);
}

/** JailbreakBench behavior categories → content-safety category. */
const JBB_CATEGORY: Readonly<Record<string, UnsafeCategory>> = {
  'Sexual/Adult content': 'sexual',
  'Harassment/Discrimination': 'hate',
  'Physical harm': 'violence',
};

/**
 * The category of an OpenAI moderation row (flags 1/0/empty), most specific first; undefined when none is set.
 * S3 = sexual/minors, SH = self-harm, H2 = hate/threatening, V2 = violence/graphic, HR = harassment.
 */
export function moderationCategory(row: Readonly<Record<string, string>>): UnsafeCategory | undefined {
  const on = (flag: string) => (row[flag] ?? '').trim() === '1';
  if (on('S3') || on('S')) return 'sexual';
  if (on('SH')) return 'self_harm';
  if (on('H2') || on('H')) return 'hate';
  if (on('V2') || on('V')) return 'violence';
  if (on('HR')) return 'harassment';
  return undefined;
}

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
  'jbb-goal': ['jbb-artifacts/jbb_harmful_behaviors.csv'],
  'moderation-unsafe': ['safety-moderation/openai_moderation_eval.csv'],
  'moderation-safe': ['safety-moderation/openai_moderation_eval.csv'],
  'templated-unsafe': [],
  'hh-red-team-unsafe': ['safety-moderation/hh_rlhf_harmless_test_first_turn.csv'],
  'hh-red-team-unmatched': ['safety-moderation/hh_rlhf_harmless_test_first_turn.csv'],
  'clinc150-benign': ['clinc150/clinc150_full.csv'],
  'templated-trigger-benign': ['clinc150/clinc150_full.csv', 'lingua-langid/lingua_testdata_24langs.csv'],
  'templated-task-benign': [
    'clinc150/clinc150_full.csv',
    'mmlu-redux/mmlu_redux_57subjects.csv',
    'lingua-langid/lingua_testdata_24langs.csv',
    'sick-pairs/sick_pairs.csv',
  ],
} as const;

/** Everyday prompts kept for evaluation: never trained, even where another source repeats one. */
export const EVALUATION_ONLY_FILE = 'alpacaeval-prompts/alpaca_eval_instructions.csv';

/** Sources whose rows are unsafe (every other source is benign). */
export const JAILBREAK_UNSAFE_SOURCES: readonly string[] = [
  'jbb-jailbreak',
  'gptfuzz-template',
  'deepset-injection',
  'jbb-goal',
  'moderation-unsafe',
  'templated-unsafe',
  'hh-red-team-unsafe',
];

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
  'clinc150-benign',
  'templated-trigger-benign',
  'templated-task-benign',
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
  /** Everyday questions sampled from clinc150's train split; 3000 unless told. */
  readonly clincBenign?: number;
  /** Fillings of each unsafe-request template (unsafe-requests.ts); 8 unless told. */
  readonly fillsPerUnsafeRequest?: number;
  /** Fillings of each everyday trigger-word template (everyday-triggers.ts); 8 unless told. */
  readonly fillsPerTrigger?: number;
  /** Tasks per artefact and per given-input template of the everyday-task grammar (everyday-tasks.ts); 30. */
  readonly tasksPerArtefact?: number;
  /** GCG / DSN / random-search prompts kept per JailbreakBench behavior; 2 unless told. */
  readonly suffixAttacksPerBehavior?: number;
  /** Sources left out entirely (leave-one-source-out evaluation); none unless told. */
  readonly excludeSources?: readonly string[];
}

export const JAILBREAK_SPLIT_METHOD =
  `${SPLIT_METHOD}; jailbreak groups: jbb prompts and harmful goals by JailbreakBench behavior ` +
  "('jbb-behavior:<behavior>'), gptfuzz by template id ('gptfuzz-template:<id>', each template filled only " +
  `with goals whose behavior is in the same split), direct jbb goals by behavior, ${BENIGN_INSTRUCTION_SPLIT}, ` +
  `${UNSAFE_REQUEST_SPLIT}, ${EVERYDAY_TRIGGER_SPLIT}, ${EVERYDAY_TASK_SPLIT}, everything else by normalised text`;

/** JailbreakBench methods whose prompts are the goal plus an optimised suffix. */
const SUFFIX_ATTACKS: ReadonlySet<string> = new Set(['GCG', 'DSN', 'adaptive_random_search']);

/** Split group of a JailbreakBench behavior; prompts and goals of one behavior share it. */
export function behaviorGroup(behavior: string): string {
  return `jbb-behavior:${normalizeForDedupe(behavior)}`;
}

/** Split group of a gptfuzz template. */
export function templateGroup(id: string): string {
  return `gptfuzz-template:${id.trim()}`;
}

/** Loads positives (jbb, filled gptfuzz templates, deepset injections) and negatives (deepset, xstest, benign). */
export function loadJailbreakDataset(dataDir: string, options: JailbreakOptions = {}): TaskDataset {
  const goalsPerTemplate = options.goalsPerTemplate ?? 4;
  const candidates: Candidate[] = [];

  // GCG, DSN and random-search prompts are a behavior's goal plus a gibberish suffix, ~6 per behavior: all of them
  // would teach the model that the goals' wording ("Write a … article") is the attack, so only a few are kept.
  const jbbRows = readCsv(dataDir, JAILBREAK_FILES['jbb-jailbreak'][0], ['prompt', 'behavior', 'method']);
  const suffixRows = new Map<string, Record<string, string>[]>();
  const jbbKept: Record<string, string>[] = [];
  for (const row of jbbRows) {
    if (!SUFFIX_ATTACKS.has(row.method ?? '')) jbbKept.push(row);
    else suffixRows.set(row.behavior ?? '', [...(suffixRows.get(row.behavior ?? '') ?? []), row]);
  }
  for (const rows of suffixRows.values()) {
    jbbKept.push(...sampleByHash(rows, (r) => r.prompt ?? '', options.suffixAttacksPerBehavior ?? 2));
  }
  for (const row of jbbKept) {
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
  // Plainly unsafe requests without jailbreak framing, each with its category.
  for (const row of readCsv(dataDir, JAILBREAK_FILES['jbb-goal'][0], ['goal', 'behavior', 'category'])) {
    const category = JBB_CATEGORY[(row.category ?? '').trim()] ?? 'illegal';
    candidates.push({
      text: row.goal ?? '',
      label: categoryLabel(category),
      source: 'jbb-goal',
      group: behaviorGroup(row.behavior ?? ''),
    });
  }
  const moderation = readCsv(dataDir, JAILBREAK_FILES['moderation-unsafe'][0], ['text', 'any_flag']);
  for (const row of moderation) {
    const category = moderationCategory(row);
    if (row.any_flag === '1' && category !== undefined) {
      candidates.push({ text: row.text ?? '', label: categoryLabel(category), source: 'moderation-unsafe' });
    } else if (row.any_flag === '0') {
      candidates.push({ text: row.text ?? '', label: BENIGN, source: 'moderation-safe' });
    }
  }
  // Red-team openers are unlabelled: those naming an explicit harm are unsafe (red-team-lexicon.ts); the others,
  // mostly mild chat in the same conversational style, are benign, so the style itself does not decide.
  for (const row of readCsv(dataDir, JAILBREAK_FILES['hh-red-team-unsafe'][0], ['text'])) {
    const text = row.text ?? '';
    const category = redTeamCategory(text);
    candidates.push(
      category === undefined
        ? { text, label: BENIGN, source: 'hh-red-team-unmatched' }
        : { text, label: categoryLabel(category), source: 'hh-red-team-unsafe' },
    );
  }
  candidates.push(...unsafeRequests(options.fillsPerUnsafeRequest ?? 8, categoryLabel, 'templated-unsafe'));
  // Short everyday assistant queries (clinc150's test split is kept for evaluation).
  const clincRows = readCsv(dataDir, JAILBREAK_FILES['clinc150-benign'][0], ['split', 'text']);
  const clincTest = new Set(
    clincRows.filter((r) => r.split === 'test').map((r) => normalizeForDedupe(r.text ?? '')),
  );
  const clinc = clincRows
    .filter((r) => r.split === 'train' && !clincTest.has(normalizeForDedupe(r.text ?? '')))
    .map((r) => r.text ?? '');
  for (const text of sampleByHash(clinc, (t) => t, options.clincBenign ?? 3000)) {
    candidates.push({ text, label: BENIGN, source: 'clinc150-benign' });
  }
  candidates.push(
    ...everydayTriggers(
      {
        questions: clinc,
        topics: english.filter((r) => r.kind === 'word_pair').map((r) => r.text ?? ''),
        sentences: english.filter((r) => r.kind === 'sentence').map((r) => r.text ?? ''),
      },
      options.fillsPerTrigger ?? 8,
      BENIGN,
      'templated-trigger-benign',
    ),
  );
  const clincFull = readCsv(dataDir, JAILBREAK_FILES['clinc150-benign'][0], ['split', 'intent']);
  const intents = [...new Set(clincFull.map((r) => (r.intent ?? '').replaceAll('_', ' ')))].filter(
    (i) => i !== 'oos',
  );
  const subjects = [
    ...new Set(
      readCsv(dataDir, 'mmlu-redux/mmlu_redux_57subjects.csv', ['subject']).map((r) =>
        (r.subject ?? '').replaceAll('_', ' '),
      ),
    ),
  ];
  const captions = readCsv(dataDir, 'sick-pairs/sick_pairs.csv', ['split', 'sentence_a'])
    .filter((r) => r.split === 'train')
    .map((r) => r.sentence_a ?? '');
  candidates.push(
    ...everydayTasks(
      {
        topics: [
          ...intents,
          ...subjects,
          ...english.filter((r) => r.kind === 'word_pair').map((r) => r.text ?? ''),
        ],
        inputs: captions,
      },
      options.tasksPerArtefact ?? 30,
      BENIGN,
      'templated-task-benign',
    ),
  );
  // The alpacaeval prompts are the everyday false-positive benchmark: a text that is also one of them is not trained.
  const evaluationOnly = new Set(
    readCsv(dataDir, EVALUATION_ONLY_FILE, ['instruction']).map((r) =>
      normalizeForDedupe(r.instruction ?? ''),
    ),
  );
  const excluded = new Set(options.excludeSources ?? []);
  const kept = candidates.filter(
    (c) => !excluded.has(c.source) && !evaluationOnly.has(normalizeForDedupe(c.text)),
  );
  return buildDataset('jailbreak', JAILBREAK_LABELS, kept, JAILBREAK_FILES, JAILBREAK_SPLIT_METHOD);
}

/** P(unsafe) of a jailbreak-task probability vector: 1 − P(benign), whatever the unsafe category. */
export function unsafeProbability(probabilities: ArrayLike<number>): number {
  return 1 - (probabilities[0] ?? 0);
}

/** Rows relabelled for detection rates: 1 for any unsafe category, 0 for benign. */
export function asDetectionRows<T extends { readonly label: number }>(rows: readonly T[]): T[] {
  return rows.map((row) => (row.label === 0 || row.label === 1 ? row : { ...row, label: 1 }));
}
