// The `domain` task: MMLU-Pro questions labelled with the 14 MMLU-Pro categories, plus `off_topic` everyday chat.
import { BENIGN_INSTRUCTION_SPLIT, benignInstructions } from './benign-instructions.ts';
import { buildDataset, type Candidate, DatasetError, readCsv, readJsonl } from './build.ts';
import { sampleByHash } from './sample.ts';
import { SPLIT_METHOD } from './split.ts';
import type { TaskDataset } from './types.ts';

/**
 * Training sources. MMLU-Redux is left out on purpose: it is the cross-source exam set of
 * domain-cross-source.ts; alpacaeval-prompts (never trained on) and clinc150's test split are its off-topic sets.
 */
export const DOMAIN_FILES = {
  'mmlu-pro': ['mmlu-pro/mmlu_pro_test_question_category.csv'],
  'gqr-ood-webquestions': ['gqr-proxy/ood_webquestions_test.csv'],
  'gqr-ood-olid': ['gqr-proxy/ood_olid_test.csv'],
  'gqr-banking77': ['gqr-proxy/finance_banking77_test.csv'],
  'deepset-benign': ['deepset-prompt-injections/train.jsonl', 'deepset-prompt-injections/test.jsonl'],
  'xstest-safe': ['xstest/xstest_prompts.csv'],
  'lingua-sentences': ['lingua-langid/lingua_testdata_24langs.csv'],
  'lingua-short': ['lingua-langid/lingua_testdata_24langs.csv'],
  'templated-chat': ['lingua-langid/lingua_testdata_24langs.csv'],
  'clinc150-train': ['clinc150/clinc150_full.csv'],
  'hh-rlhf-openers': ['safety-moderation/hh_rlhf_harmless_test_first_turn.csv'],
} as const;

/** The label of everyday chat, greetings and questions outside the 14 exam domains: no domain matches it. */
export const OFF_TOPIC_LABEL = 'off_topic';

/** The 14 routing domains, spelled as in the data, in alphabetical order, then `off_topic`. */
export const DOMAIN_LABELS: readonly string[] = [
  'biology',
  'business',
  'chemistry',
  'computer science',
  'economics',
  'engineering',
  'health',
  'history',
  'law',
  'math',
  'other',
  'philosophy',
  'physics',
  'psychology',
  OFF_TOPIC_LABEL,
];

const OFF_TOPIC = DOMAIN_LABELS.indexOf(OFF_TOPIC_LABEL);

/** Rows per off-topic source: together about a third of the exam questions, so the domains stay the majority. */
const OFF_TOPIC_SAMPLES = {
  'gqr-ood-webquestions': 900,
  'gqr-ood-olid': 500,
  'gqr-banking77': 600,
  'lingua-sentences': 900,
  'lingua-short': 500,
  'clinc150-train': 2500,
  'hh-rlhf-openers': 1500,
} as const;
const FILLS_PER_INSTRUCTION = 6;

function offTopicCandidates(dataDir: string): Candidate[] {
  const out: Candidate[] = [];
  const add = (texts: readonly string[], source: keyof typeof DOMAIN_FILES, n?: number): void => {
    const picked = n === undefined ? texts : sampleByHash(texts, (t) => t, n);
    for (const text of picked) out.push({ text, label: OFF_TOPIC, source });
  };
  const gqr = (source: 'gqr-ood-webquestions' | 'gqr-ood-olid' | 'gqr-banking77'): void => {
    const rows = readCsv(dataDir, DOMAIN_FILES[source][0], ['text']);
    add(
      rows.map((r) => r.text ?? ''),
      source,
      OFF_TOPIC_SAMPLES[source],
    );
  };
  gqr('gqr-ood-webquestions');
  gqr('gqr-ood-olid');
  gqr('gqr-banking77');
  const deepset = DOMAIN_FILES['deepset-benign'].flatMap((file) => readJsonl(dataDir, file));
  add(
    deepset.flatMap((r) => (r.label === 0 && typeof r.text === 'string' ? [r.text] : [])),
    'deepset-benign',
  );
  const xstest = readCsv(dataDir, DOMAIN_FILES['xstest-safe'][0], ['prompt', 'label']);
  add(
    xstest.filter((r) => (r.label ?? '').trim() === 'safe').map((r) => r.prompt ?? ''),
    'xstest-safe',
  );
  const clinc = readCsv(dataDir, DOMAIN_FILES['clinc150-train'][0], ['split', 'text']);
  add(
    clinc.filter((r) => r.split === 'train').map((r) => r.text ?? ''),
    'clinc150-train',
    OFF_TOPIC_SAMPLES['clinc150-train'],
  );
  const openers = readCsv(dataDir, DOMAIN_FILES['hh-rlhf-openers'][0], ['text']);
  add(
    openers.map((r) => r.text ?? ''),
    'hh-rlhf-openers',
    OFF_TOPIC_SAMPLES['hh-rlhf-openers'],
  );
  const lingua = readCsv(dataDir, DOMAIN_FILES['lingua-sentences'][0], ['lang', 'kind', 'text']);
  const sentences = lingua.filter((r) => r.kind === 'sentence');
  const pairs = lingua.filter((r) => r.kind === 'word_pair');
  add(
    sentences.map((r) => r.text ?? ''),
    'lingua-sentences',
    OFF_TOPIC_SAMPLES['lingua-sentences'],
  );
  add(
    pairs.map((r) => r.text ?? ''),
    'lingua-short',
    OFF_TOPIC_SAMPLES['lingua-short'],
  );
  const english = { topics: [] as string[], sentences: [] as string[] };
  for (const r of lingua) {
    if (r.lang !== 'en') continue;
    (r.kind === 'word_pair' ? english.topics : english.sentences).push(r.text ?? '');
  }
  out.push(...benignInstructions(english, FILLS_PER_INSTRUCTION, OFF_TOPIC, 'templated-chat'));
  return out;
}

/** Loads MMLU-Pro (14 categories) and the off-topic sources, deduplicated by normalised text. */
export function loadDomainDataset(dataDir: string): TaskDataset {
  const index = new Map(DOMAIN_LABELS.map((label, i) => [label, i]));
  const candidates: Candidate[] = [];
  const [proFile] = DOMAIN_FILES['mmlu-pro'];
  for (const row of readCsv(dataDir, proFile, ['category', 'question'])) {
    const category = (row.category ?? '').trim();
    const label = index.get(category);
    if (label === undefined || label === OFF_TOPIC) {
      throw new DatasetError(`${proFile}: unknown category '${category}'`);
    }
    candidates.push({ text: row.question ?? '', label, source: 'mmlu-pro' });
  }
  candidates.push(...offTopicCandidates(dataDir));
  return buildDataset(
    'domain',
    DOMAIN_LABELS,
    candidates,
    DOMAIN_FILES,
    `${SPLIT_METHOD}; ${BENIGN_INSTRUCTION_SPLIT}`,
  );
}
