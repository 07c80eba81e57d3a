// `semantic-router eval`: flags, usage and output; the scoring lives in src/training/eval/.
import { parseArgs } from 'node:util';
import { DatasetError, TASK_NAMES } from '../training/datasets/index.ts';
import { type EvalReport, evaluateEntityModels, evaluateModels } from '../training/eval/evaluate.ts';
import {
  discoverEntityModels,
  discoverModels,
  EvalLoadError,
  isEntityModelDir,
} from '../training/eval/model-folders.ts';
import { renderReport } from '../training/eval/report.ts';

export interface EvalIO {
  out(text: string): void;
  err(text: string): void;
}

export const EVAL_USAGE = `usage:
  semantic-router eval [--models models] [--model models/NAME ...] [--data ../shared/data] [--json]
      [--max-rows N]
  Evaluates each classifier (default: every folder under --models with model.onnx and a card.json whose task
  is ${TASK_NAMES.join(', ')}) on the held-out test split of its card's task (same deterministic split as
  training): accuracy, per-class precision / recall / F1, macro F1, jailbreak recall and false-positive rate
  at the card's threshold, batch-1 latency p50 / p99 and batch-32 throughput. --max-rows N evaluates an
  evenly spaced subset of N test rows. Folders whose card task is pii (the PERSON / STREET_ADDRESS tagger)
  are scored by span precision / recall / F1 on the held-out templates.
`;

class UsageError extends Error {}

interface EvalArgs {
  readonly modelsDir: string;
  readonly models: readonly string[];
  readonly dataDir: string;
  readonly json: boolean;
  readonly maxRows: number | undefined;
}

function parseEvalArgs(args: string[]): EvalArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      models: { type: 'string' },
      model: { type: 'string', multiple: true },
      data: { type: 'string' },
      json: { type: 'boolean' },
      'max-rows': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  let maxRows: number | undefined;
  if (values['max-rows'] !== undefined) {
    maxRows = Number(values['max-rows']);
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError('--max-rows must be an integer ≥ 1');
  }
  return {
    modelsDir: values.models ?? 'models',
    models: values.model ?? [],
    dataDir: values.data ?? '../shared/data',
    json: values.json ?? false,
    maxRows,
  };
}

/** `semantic-router eval …`; exit 0 when every model was evaluated, 1 on a load error, 2 on a usage error. */
export async function evalCommand(args: string[], io: EvalIO): Promise<number> {
  let parsed: EvalArgs;
  try {
    parsed = parseEvalArgs(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n${EVAL_USAGE}`);
    return 2;
  }
  try {
    const explicit = parsed.models.length > 0;
    const dirs = explicit
      ? parsed.models.filter((d) => !isEntityModelDir(d))
      : discoverModels(parsed.modelsDir, (line) => io.err(`${line}\n`));
    const entityDirs = explicit
      ? parsed.models.filter(isEntityModelDir)
      : discoverEntityModels(parsed.modelsDir);
    const classifiers = await evaluateModels(dirs, parsed.dataDir, parsed.maxRows);
    const entityModels = await evaluateEntityModels(entityDirs, parsed.dataDir, parsed.maxRows);
    const report: EvalReport = entityModels.length > 0 ? { ...classifiers, entityModels } : classifiers;
    io.out(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return 0;
  } catch (error) {
    if (error instanceof EvalLoadError || error instanceof DatasetError) {
      io.err(`eval: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
