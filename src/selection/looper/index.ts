// The looper algorithms and `prompt` selection: algorithms that make model calls of their own through the
// policy's `looper` endpoint (docs/loopers.md).
import type { SelectionAlgorithm } from '../model-selector.ts';
import { confidenceSelection } from './confidence.ts';
import { fusionSelection } from './fusion.ts';
import { promptSelection } from './prompt-selection.ts';
import { ratingsSelection } from './ratings.ts';
import { remomSelection } from './remom.ts';
import { workflowsSelection } from './workflows.ts';

export const looperSelections: readonly SelectionAlgorithm<never>[] = [
  confidenceSelection,
  ratingsSelection,
  remomSelection,
  fusionSelection,
  workflowsSelection,
  promptSelection,
] as SelectionAlgorithm<never>[];
