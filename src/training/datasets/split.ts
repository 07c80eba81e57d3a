// Deterministic dataset splits: a stable hash of a group key (normalised text, template id, …) picks the split.
import { hashString } from '../../ml/wide-mlp/features.ts';

export type SplitName = 'train' | 'validation' | 'test';

export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** Salt of the split hash; changing it reshuffles every split, so it is fixed and recorded in model cards. */
export const SPLIT_SALT = 'semantic-router/split/v1';

/** Percent of groups in train and validation; the rest is test. */
export const SPLIT_PERCENT = { train: 80, validation: 10 } as const;

/** Human-readable description of the split, for model cards. */
export const SPLIT_METHOD =
  `hash split: FNV-1a+fmix32 of '${SPLIT_SALT}:' + group key, mod 1000; ` +
  `< ${SPLIT_PERCENT.train * 10} train, < ${(SPLIT_PERCENT.train + SPLIT_PERCENT.validation) * 10} validation, ` +
  'rest test; group key = normalised text unless the task says otherwise';

/**
 * The text as used for deduplication and split keys: NFKC, lower case, every run of characters that are not
 * letters or digits collapsed to one space, trimmed. Texts that differ only in punctuation or spacing are
 * duplicates.
 */
export function normalizeForDedupe(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Stable bucket in [0, 1000) of a group key. */
export function splitBucket(groupKey: string): number {
  return hashString(`${SPLIT_SALT}:${groupKey}`) % 1000;
}

/** Group keys with this prefix are training-only: hand-written anchors the model must know, never evaluated. */
export const TRAIN_ONLY_GROUP_PREFIX = 'train-only:';

/** The split a group key belongs to (80 % train, 10 % validation, 10 % test; train-only groups: train). */
export function splitOf(groupKey: string): SplitName {
  if (groupKey.startsWith(TRAIN_ONLY_GROUP_PREFIX)) return 'train';
  const bucket = splitBucket(groupKey);
  if (bucket < SPLIT_PERCENT.train * 10) return 'train';
  if (bucket < (SPLIT_PERCENT.train + SPLIT_PERCENT.validation) * 10) return 'validation';
  return 'test';
}
