// A trained classifier's card (OUT/card.json), its README rendering and the command line that reproduces it.
import type { FeaturizerConfig } from '../../ml/wide-mlp/features.ts';
import type { TaskDataset } from '../datasets/index.ts';
import { JAILBREAK_MAX_REFERENCE_FPR } from '../datasets/jailbreak-threshold.ts';
import { type CrossSourceFigure, crossSourceTable } from '../eval/cross-source-figures.ts';
import { type ClassificationMetrics, formatPercent } from '../metrics.ts';
import { trainCommandLine, wideMlpFlags } from '../trainer/reproduce.ts';
import type { HyperParameters } from './hyper-parameters.ts';
import type { LatencyMetrics } from './latency.ts';
import type { ThresholdMetrics } from './thresholds.ts';

/** The model card written to OUT/card.json. */
export interface ModelCard {
  readonly name: string;
  readonly task: string;
  readonly labels: readonly string[];
  readonly modelFile: string;
  readonly modelSha256: string;
  readonly sizeBytes: number;
  readonly dataSources: TaskDataset['sources'];
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  readonly dropped: TaskDataset['dropped'];
  readonly splitMethod: string;
  readonly maxRows: number | null;
  readonly seed: number;
  readonly hyperParameters: HyperParameters;
  readonly featurizer: FeaturizerConfig;
  readonly training: {
    readonly bestEpoch: number;
    readonly epochsRun: number;
    readonly history: readonly {
      epoch: number;
      trainLoss: number;
      validationLoss?: number;
      validationAccuracy?: number;
    }[];
    readonly timeSeconds: number;
  };
  readonly calibration: {
    readonly temperature: number;
    readonly nllBefore: number;
    readonly nllAfter: number;
  };
  readonly metrics: { readonly validation: ClassificationMetrics; readonly test: ClassificationMetrics };
  /**
   * Recommended threshold: on P(positive label) for jailbreak, on the top label's probability for domain (null
   * for others); read by the router's model store as the signal's default threshold.
   */
  readonly threshold: number | null;
  /** How `threshold` was chosen and its validation / held-out detection rates (jailbreak only). */
  readonly detection: ThresholdMetrics | null;
  /** Figures on sources the model was not trained on (see src/training/datasets/cross-source.ts). */
  readonly crossSource?: readonly CrossSourceFigure[];
  readonly latency: LatencyMetrics;
  readonly nodeVersion: string;
  readonly createdBy: string;
}

const pct = formatPercent;

const TASK_PROSE: Record<TaskDataset['task'], string> = {
  domain:
    'Classifies a prompt into one of the 14 MMLU-Pro routing domains. Trained on exam questions (MMLU-Pro and ' +
    'MMLU-Redux); expect lower accuracy on conversational prompts than on the held-out questions below, and ' +
    'see the cross-source figures for how often everyday chat still gets a domain.',
  jailbreak:
    'Flags jailbreak and prompt-injection attempts and plainly unsafe requests. P(unsafe) = 1 − P(benign) ≥ the ' +
    'threshold below means flagged, and the most likely other label is the category; the threshold was chosen ' +
    'on the validation split for the target recall. Held-out attacks come ' +
    'from JailbreakBench behaviors and GPTFuzzer templates that are absent from training (split by behavior ' +
    'and by template id), but JailbreakChat-style prompts reuse templates across behaviors, so some held-out ' +
    'jbb prompts share a template with training prompts.',
  guard:
    'Guarded routing in the style of GQR-Bench: finance (banking77), healthcare (GenMedGPT-5k) or ' +
    'out-of-domain (OLID tweets, WebQuestions). The paper reports WideMLP 88 % accuracy.',
};

/** The command line that rebuilds a card's model, every hyper-parameter explicit. */
export function reproduceCommand(card: ModelCard): string {
  const h = card.hyperParameters;
  const flags: [string, number][] = [
    ...wideMlpFlags(card.seed, h.buckets, h),
    ['word-ngrams', h.wordNgrams],
    ['char-min', h.charNgramMin],
    ['char-max', h.charNgramMax],
    ['max-features', h.maxFeatures],
    ['max-chars', h.maxChars],
  ];
  if (card.detection !== null) flags.push(['target-recall', card.detection.targetRecall]);
  if (card.maxRows !== null) flags.push(['max-rows', card.maxRows]);
  return trainCommandLine(card.task, card.name, flags);
}

/** The model card in prose with metrics tables (OUT/README.md). */
export function renderReadme(card: ModelCard): string {
  const test = card.metrics.test;
  const lines: string[] = [
    `# Built-in model: ${card.name} (task \`${card.task}\`)`,
    '',
    TASK_PROSE[card.task as TaskDataset['task']] ?? '',
    '',
    'Architecture: hashed word n-gram + character n-gram features → mean embedding bag → ReLU hidden layer → ' +
      'softmax (WideMLP / fastText style), trained by this project (`semantic-router train`), temperature-' +
      'calibrated on the validation split, exported to ONNX with its labels, featurizer and temperature as ' +
      'metadata.',
    '',
    `- Labels: ${card.labels.map((l) => `\`${l}\``).join(', ')}`,
    `- File: \`${card.modelFile}\` (${(card.sizeBytes / 1024 / 1024).toFixed(2)} MiB, sha256 \`${card.modelSha256.slice(0, 16)}…\`)`,
    `- Seed ${card.seed}; best epoch ${card.training.bestEpoch} of ${card.training.epochsRun}; ` +
      `training ${card.training.timeSeconds.toFixed(1)} s on Node ${card.nodeVersion}`,
    `- Temperature ${card.calibration.temperature.toFixed(3)} (validation NLL ${card.calibration.nllBefore.toFixed(3)} → ${card.calibration.nllAfter.toFixed(3)})`,
    `- Split: ${card.splitMethod}`,
    `- Reproduce: \`${reproduceCommand(card)}\` (same seed and data give identical model.onnx bytes)`,
    '',
    '## Data (rows per split, after deduplication by normalised text)',
    '',
    '| source | files | train | validation | test |',
    '|---|---|---:|---:|---:|',
    ...card.dataSources.map(
      (s) =>
        `| ${s.source} | ${s.files.map((f) => `\`${f}\``).join(', ')} | ${s.train} | ${s.validation} | ${s.test} |`,
    ),
    `| **total** | | ${card.rows.train} | ${card.rows.validation} | ${card.rows.test} |`,
    '',
    `Data is read from \`../shared/data\` at training time and never copied into the repository. ` +
      `${card.dropped.duplicates} duplicate and ${card.dropped.empty} empty rows were dropped.`,
    '',
    '## Held-out test metrics',
    '',
    '| metric | value |',
    '|---|---:|',
    `| accuracy | ${pct(test.accuracy)} |`,
    `| macro F1 | ${pct(test.macroF1)} |`,
    `| test examples | ${test.examples} |`,
    `| latency p50 / p99 (batch 1) | ${card.latency.p50Ms} ms / ${card.latency.p99Ms} ms |`,
    '',
    '| class | support | precision | recall | F1 |',
    '|---|---:|---:|---:|---:|',
    ...test.perClass.map(
      (m) => `| ${m.label} | ${m.support} | ${pct(m.precision)} | ${pct(m.recall)} | ${pct(m.f1)} |`,
    ),
  ];
  const t = card.detection;
  if (t !== null) {
    lines.push(
      '',
      '## Detection threshold',
      '',
      `Flag when P(unsafe) ≥ **${t.threshold.toFixed(4)}** (chosen on validation for recall ≥ ${pct(t.targetRecall)}, ` +
        `raised if needed to a reference FPR ≤ ${pct(JAILBREAK_MAX_REFERENCE_FPR)}).`,
      '',
      `Reference false-positive rate = over ${t.referenceNegativeSources.join(', ')}; ` +
        'overall = over every benign text, deepset benign prompts included.',
      '',
      '| split | recall on attacks | FPR (reference) | FPR (overall) |',
      '|---|---:|---:|---:|',
      `| validation | ${pct(t.validation.recall)} | ${pct(t.validation.referenceFalsePositiveRate)} | ${pct(t.validation.falsePositiveRate)} |`,
      `| test | ${pct(t.test.recall)} (${t.test.positives}) | ${pct(t.test.referenceFalsePositiveRate)} (${t.test.referenceNegatives}) | ${pct(t.test.falsePositiveRate)} (${t.test.negatives}) |`,
      '',
      '| test source | examples | recall / false-positive rate |',
      '|---|---:|---:|',
      ...Object.entries(t.test.recallBySource).map(
        ([s, r]) => `| ${s} (attacks) | ${r.examples} | recall ${pct(r.recall)} |`,
      ),
      ...Object.entries(t.test.falsePositiveRateBySource).map(
        ([s, r]) => `| ${s} (benign) | ${r.examples} | FPR ${pct(r.rate)} |`,
      ),
    );
  }
  if (card.crossSource !== undefined && card.crossSource.length > 0) {
    lines.push(
      '',
      '## Cross-source evaluation',
      '',
      'Rows from sources this model was never trained on, or held-out rows where a set says so, read as the ' +
        'router reads the model (' +
        (card.threshold === null
          ? "the signal's default threshold"
          : `threshold ${card.threshold.toFixed(4)}`) +
        '); the targets are those of the issue that asked for them.',
      '',
      ...crossSourceTable(card.crossSource),
    );
  }
  lines.push(
    '',
    '## Limits',
    '',
    '- Bag-of-n-grams model: no word order beyond bigrams, only the first ' +
      `${card.featurizer.maxChars} characters and ${card.featurizer.maxFeatures} features of a text are read.`,
    '- Metrics are on a held-out split of the same public data sets; real traffic differs.',
    '',
  );
  return lines.join('\n');
}
