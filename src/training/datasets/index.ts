// Entry point of the training data sets: one loader per built-in task.
import { limitRows } from './build.ts';
import { loadDomainDataset } from './domain.ts';
import { loadGuardDataset } from './guard.ts';
import { loadJailbreakDataset } from './jailbreak.ts';
import type { TaskDataset, TaskName } from './types.ts';

export { DatasetError, limitRows } from './build.ts';
export { DOMAIN_LABELS, loadDomainDataset } from './domain.ts';
export { GUARD_LABELS, loadGuardDataset } from './guard.ts';
export { JAILBREAK_LABELS, loadJailbreakDataset } from './jailbreak.ts';
export { normalizeForDedupe, SPLIT_METHOD, splitOf } from './split.ts';
export type { LabelledText, SourceCounts, TaskDataset, TaskName } from './types.ts';
export { TASK_NAMES } from './types.ts';

/** Loads and splits a task's data from `dataDir` (the shared data folder); `maxRows` limits it for tests. */
export function loadTaskDataset(task: TaskName, dataDir: string, maxRows?: number): TaskDataset {
  const full =
    task === 'domain'
      ? loadDomainDataset(dataDir)
      : task === 'jailbreak'
        ? loadJailbreakDataset(dataDir)
        : loadGuardDataset(dataDir);
  return maxRows === undefined ? full : limitRows(full, maxRows);
}
