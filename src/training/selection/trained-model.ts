// What a selection trainer returns: the algorithm's settings, tensors and predictor (for figures and export).
import type { LearnedAlgorithm, Tensor } from '../../selection/learned/model-file.ts';
import type { SuccessPredictor } from '../../selection/learned/success-predictor.ts';

export interface TrainedSelectionModel {
  readonly algorithm: LearnedAlgorithm;
  readonly params: Readonly<Record<string, number>>;
  readonly tensors: Readonly<Record<string, Tensor>>;
  readonly predictor: SuccessPredictor;
  /** Validation Brier score of the chosen settings. */
  readonly validationBrier: number;
}
