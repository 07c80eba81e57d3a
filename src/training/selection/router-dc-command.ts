// `train --task selection --algorithm router_dc` and `eval-routing --algorithm router_dc`: RouterDC needs the
// built-in embedder (asynchronous ONNX), so it has its own path beside the hashed-feature learned selectors.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { builtInRouterDcFile, loadRouterDcModel } from '../../selection/router-dc/router-dc-model.ts';
import { routerDcPairScore } from './eval-router-dc.ts';
import { EvalRoutingError, evaluatePair, heldOutPair } from './eval-routing.ts';
import { curveCsv, curveSvg, formatEvaluation } from './eval-routing-report.ts';
import { loadOutcomeDataset, type OutcomeDatasetName } from './outcome-datasets.ts';
import { DEFAULT_ROUTER_DC_OPTIONS, trainRouterDc, writeRouterDc } from './train-router-dc.ts';

interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

export async function trainRouterDcCommand(
  dataset: OutcomeDatasetName,
  dataDir: string | undefined,
  out: string | undefined,
  seedArg: string | undefined,
  io: CommandIO,
): Promise<number> {
  const seed = seedArg === undefined ? DEFAULT_ROUTER_DC_OPTIONS.seed : Number(seedArg);
  if (!Number.isInteger(seed) || seed < 0) {
    io.err('--seed must be a non-negative integer\n');
    return 2;
  }
  const data = loadOutcomeDataset(dataset, path.resolve(dataDir ?? '../shared/data'));
  const result = await trainRouterDc(data, { ...DEFAULT_ROUTER_DC_OPTIONS, seed }, (line) =>
    io.err(`${line}\n`),
  );
  const outDir = out ?? path.join('models/selection', dataset);
  mkdirSync(outDir, { recursive: true });
  const target = writeRouterDc(outDir, result.file);
  io.out(
    `${target}: ${result.file.profiles.length} model vectors of ${result.file.embedder.dim}, validation loss ` +
      `${result.validationLoss.toFixed(4)} (untrained ${result.initialValidationLoss.toFixed(4)}), ` +
      `${JSON.stringify(result.file.params)}, ${result.trainingSeconds.toFixed(1)} s\n`,
  );
  return 0;
}

export async function evalRouterDcCommand(
  args: {
    readonly dataset: OutcomeDatasetName;
    readonly strong: string;
    readonly weak: string;
    readonly dataDir: string | undefined;
    readonly model: string | undefined;
    readonly out: string | undefined;
  },
  io: CommandIO,
): Promise<number> {
  const file = args.model ?? builtInRouterDcFile(args.dataset);
  const model = loadRouterDcModel(file);
  if (model.header.dataset !== args.dataset)
    throw new EvalRoutingError(`${file} was trained on ${model.header.dataset}, not ${args.dataset}`);
  const data = loadOutcomeDataset(args.dataset, path.resolve(args.dataDir ?? '../shared/data'));
  const score = await routerDcPairScore(model, data, args.strong, args.weak);
  const evaluation = evaluatePair(heldOutPair(data, args.strong, args.weak, score), {
    dataset: args.dataset,
    algorithm: 'router_dc',
    strong: args.strong,
    weak: args.weak,
    costUnit: data.costUnit,
  });
  io.out(formatEvaluation(evaluation));
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    writeFileSync(path.join(args.out, 'curve.csv'), curveCsv(evaluation));
    writeFileSync(path.join(args.out, 'curve.svg'), curveSvg(evaluation));
    io.out(`wrote ${path.join(args.out, 'curve.csv')} and curve.svg\n`);
  }
  return 0;
}
