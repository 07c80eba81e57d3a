// The `semantic-router train` command line a model card records, so a model can be rebuilt bit for bit.

/** The WideMLP training settings every trained model shares. */
export interface WideMlpTrainingSettings {
  readonly embeddingDim: number;
  readonly hiddenDim: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly weightDecay: number;
  readonly patience: number;
}

/** The flags of the shared WideMLP settings, in the order the cards print them. */
export function wideMlpFlags(seed: number, buckets: number, h: WideMlpTrainingSettings): [string, number][] {
  return [
    ['seed', seed],
    ['buckets', buckets],
    ['dim', h.embeddingDim],
    ['hidden', h.hiddenDim],
    ['epochs', h.epochs],
    ['lr', h.learningRate],
    ['batch', h.batchSize],
    ['weight-decay', h.weightDecay],
    ['patience', h.patience],
  ];
}

/** `semantic-router train --task TASK --out models/NAME --flag value …`. */
export function trainCommandLine(task: string, name: string, flags: readonly [string, number][]): string {
  const args = flags.map(([flag, value]) => `--${flag} ${value}`).join(' ');
  return `semantic-router train --task ${task} --out models/${name} ${args}`;
}
