// `train --task selection` and `eval-routing`: argument parsing and output; the CLI modules only delegate here.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicyFile } from '../../policy/load-policy.ts';
import {
  BUILT_IN_SELECTION_DATASETS,
  builtInModelFile,
  loadLearnedModel,
} from '../../selection/learned/learned-model.ts';
import { LEARNED_ALGORITHMS, type LearnedAlgorithm } from '../../selection/learned/model-file.ts';
import { DatasetError } from '../datasets/build.ts';
import { evaluatePolicyRouting, formatPolicyEvaluation } from './eval-policy-routing.ts';
import { EvalRoutingError, evaluatePair, heldOutPair, pairScore } from './eval-routing.ts';
import { curveCsv, curveSvg, formatEvaluation } from './eval-routing-report.ts';
import { loadOutcomeDataset, OUTCOME_DATASETS, type OutcomeDatasetName } from './outcome-datasets.ts';
import { evalRouterDcCommand, trainRouterDcCommand } from './router-dc-command.ts';
import { trainSelectionModels, updateCards } from './train-selection.ts';

export interface SelectionIO {
  out(text: string): void;
  err(text: string): void;
}

export const TRAIN_SELECTION_USAGE = `  semantic-router train --task selection --data mmlu-pro|routerbench [--algorithm knn|kmeans|svm|mlp|all|router_dc]
      [--out models/selection/<data>] [--data-dir ../shared/data] [--seed 42]
      (learned model selection from routing-outcome data; see docs/selection-learned.md)
`;

export const EVAL_ROUTING_USAGE = `usage:
  semantic-router eval-routing --policy FILE|DIR --data mmlu-pro|routerbench [--map MODEL=PROFILE,...]
      [--data-dir ../shared/data] [--out DIR]
      replays the held-out split through the policy's signals, decisions and selection; a policy model is
      scored as the data's model of its name, provider_model_id or --map entry; against random,
      always-cheapest, always-best and the oracle among those models; --out writes summary.csv
  semantic-router eval-routing --data mmlu-pro|routerbench --pair STRONG,WEAK [--algorithm knn|kmeans|svm|mlp|router_dc]
      [--model FILE.json] [--data-dir ../shared/data] [--out DIR]
      replays the held-out split: quality, cost, strong share, APGR, PGR at 50 % strong calls and AIQ against
      random, always-weak, always-strong and the oracle; --out writes curve.csv and curve.svg
`;

class SelectionUsageError extends Error {}

function datasetArg(value: string | undefined): OutcomeDatasetName {
  const name = OUTCOME_DATASETS.find((d) => d === value);
  if (name === undefined)
    throw new SelectionUsageError(`--data must be one of ${OUTCOME_DATASETS.join(', ')}`);
  return name;
}

function algorithmArg(value: string | undefined, fallback: LearnedAlgorithm): LearnedAlgorithm {
  if (value === undefined) return fallback;
  const algorithm = LEARNED_ALGORITHMS.find((a) => a === value);
  if (algorithm === undefined)
    throw new SelectionUsageError(`--algorithm must be one of ${LEARNED_ALGORITHMS.join(', ')}`);
  return algorithm;
}

async function run(io: SelectionIO, usage: string, body: () => number | Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (
      error instanceof SelectionUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`${(error as Error).message}\n${usage}`);
      return 2;
    }
    if (
      error instanceof DatasetError ||
      error instanceof EvalRoutingError ||
      (error as Error).name === 'SelectionModelError'
    ) {
      io.err(`${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

export function trainSelectionCommand(args: string[], io: SelectionIO): Promise<number> {
  return run(io, TRAIN_SELECTION_USAGE, () => {
    const { values } = parseArgs({
      args,
      options: {
        task: { type: 'string' },
        data: { type: 'string' },
        'data-dir': { type: 'string' },
        algorithm: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
      },
    });
    const dataset = datasetArg(values.data);
    if (values.algorithm === 'router_dc')
      return trainRouterDcCommand(dataset, values['data-dir'], values.out, values.seed, io);
    const algorithms =
      values.algorithm === undefined || values.algorithm === 'all'
        ? [...LEARNED_ALGORITHMS]
        : [algorithmArg(values.algorithm, 'knn')];
    const seed = values.seed === undefined ? 42 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0)
      throw new SelectionUsageError('--seed must be a non-negative integer');
    const outDir = values.out ?? path.join('models/selection', dataset);
    const cards = trainSelectionModels({
      dataset,
      dataDir: path.resolve(values['data-dir'] ?? '../shared/data'),
      outDir,
      algorithms,
      seed,
      log: (line) => io.err(`${line}\n`),
    });
    updateCards(outDir, cards);
    for (const c of cards) {
      io.out(
        `${path.join(outDir, `${c.algorithm}.json`)}: ${(c.sizeBytes / 1048576).toFixed(2)} MiB, validation Brier ${c.validationBrier} (prior ${c.priorBrier}), ${JSON.stringify(c.params)}\n`,
      );
    }
    return 0;
  });
}

export function evalRoutingCommand(args: string[], io: SelectionIO): Promise<number> {
  if (args.includes('--policy') || args.some((a) => a.startsWith('--policy=')))
    return evalPolicyCommand(args, io);
  return run(io, EVAL_ROUTING_USAGE, () => {
    const { values } = parseArgs({
      args,
      options: {
        data: { type: 'string' },
        'data-dir': { type: 'string' },
        pair: { type: 'string' },
        algorithm: { type: 'string' },
        model: { type: 'string' },
        out: { type: 'string' },
      },
    });
    const dataset = datasetArg(values.data);
    const [strong, weak, ...extra] = (values.pair ?? '').split(',').map((s) => s.trim());
    if (!strong || !weak || extra.length > 0)
      throw new SelectionUsageError('--pair needs STRONG,WEAK (two model names of the data)');
    if (values.algorithm === 'router_dc')
      return evalRouterDcCommand(
        { dataset, strong, weak, dataDir: values['data-dir'], model: values.model, out: values.out },
        io,
      );
    const algorithm = algorithmArg(values.algorithm, 'knn');
    const file =
      values.model ??
      builtInModelFile(
        algorithm,
        (BUILT_IN_SELECTION_DATASETS as readonly string[]).includes(dataset) ? dataset : 'mmlu-pro',
      );
    const model = loadLearnedModel(file);
    if (model.header.dataset !== dataset) {
      throw new EvalRoutingError(`${file} was trained on ${model.header.dataset}, not ${dataset}`);
    }
    const data = loadOutcomeDataset(dataset, path.resolve(values['data-dir'] ?? '../shared/data'));
    const evaluation = evaluatePair(heldOutPair(data, strong, weak, pairScore(model, strong, weak)), {
      dataset,
      algorithm: model.header.algorithm,
      strong,
      weak,
      costUnit: data.costUnit,
    });
    io.out(formatEvaluation(evaluation));
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(path.join(values.out, 'curve.csv'), curveCsv(evaluation));
      writeFileSync(path.join(values.out, 'curve.svg'), curveSvg(evaluation));
      io.out(`wrote ${path.join(values.out, 'curve.csv')} and curve.svg\n`);
    }
    return 0;
  });
}

function parseMap(value: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of (value ?? '').split(',').filter((e) => e.trim() !== '')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new SelectionUsageError(`--map expects MODEL=PROFILE entries, got '${entry}'`);
    map.set(entry.slice(0, eq).trim(), entry.slice(eq + 1).trim());
  }
  return map;
}

function evalPolicyCommand(args: string[], io: SelectionIO): Promise<number> {
  return run(io, EVAL_ROUTING_USAGE, async () => {
    const { values } = parseArgs({
      args,
      options: {
        policy: { type: 'string' },
        data: { type: 'string' },
        'data-dir': { type: 'string' },
        map: { type: 'string' },
        out: { type: 'string' },
      },
    });
    const dataset = datasetArg(values.data);
    const map = parseMap(values.map);
    const data = loadOutcomeDataset(dataset, path.resolve(values['data-dir'] ?? '../shared/data'));
    const policy = await loadPolicyFile(values.policy as string);
    try {
      const evaluation = await evaluatePolicyRouting(policy, data, map);
      io.out(formatPolicyEvaluation(evaluation));
      if (values.out) {
        mkdirSync(values.out, { recursive: true });
        const rows = [evaluation.policy, ...evaluation.baselines].map(
          (r) =>
            `${r.name},${r.quality.toFixed(5)},${r.cost.toPrecision(6)},"${JSON.stringify(r.shares).replaceAll('"', '""')}"`,
        );
        writeFileSync(
          path.join(values.out, 'summary.csv'),
          `router,quality,cost,shares\n${rows.join('\n')}\n`,
        );
        io.out(`wrote ${path.join(values.out, 'summary.csv')}\n`);
      }
      return 0;
    } finally {
      policy.close();
    }
  });
}
