// Shapes shared by the task loaders: labelled texts with their source and split group, and split data sets.
import type { SplitName } from './split.ts';

export type TaskName = 'domain' | 'jailbreak' | 'guard';

export const TASK_NAMES: readonly TaskName[] = ['domain', 'jailbreak', 'guard'];

/** One labelled text. */
export interface LabelledText {
  readonly text: string;
  /** Index into the task's labels. */
  readonly label: number;
  /** Short name of where it came from, e.g. `mmlu-pro` or `xstest-safe`. */
  readonly source: string;
  /** Key whose hash picks the split; texts with equal keys always share a split. */
  readonly group: string;
}

/** Row counts of one source per split. */
export interface SourceCounts {
  readonly source: string;
  /** Data files (relative to the data directory) the source was read from. */
  readonly files: readonly string[];
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

export interface TaskDataset {
  readonly task: TaskName;
  readonly labels: readonly string[];
  readonly train: readonly LabelledText[];
  readonly validation: readonly LabelledText[];
  readonly test: readonly LabelledText[];
  readonly sources: readonly SourceCounts[];
  /** How the split was made (hashing, group keys), for the model card. */
  readonly splitMethod: string;
  /** Rows dropped as duplicates (same normalised text) or with an empty text or label. */
  readonly dropped: { readonly duplicates: number; readonly empty: number };
}

export type Splits = Record<SplitName, LabelledText[]>;
