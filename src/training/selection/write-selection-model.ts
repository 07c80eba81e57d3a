// Writes a trained selection model: `<algorithm>.json` (header) + `<algorithm>.bin` (tensors), byte-reproducible.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  SELECTION_MODEL_FORMAT,
  SELECTION_MODEL_VERSION,
  type SelectionModelHeader,
  type Tensor,
  type TensorEntry,
  type TensorType,
} from '../../selection/learned/model-file.ts';
import type { TrainedSelectionModel } from './trained-model.ts';
import type { TrainingSet } from './training-set.ts';

function tensorType(t: Tensor): TensorType {
  if (t instanceof Float32Array) return 'f32';
  if (t instanceof Int32Array) return 'i32';
  if (t instanceof Uint16Array) return 'u16';
  return 'u8';
}

/** 101 quantiles of predicted difficulty (1 − mean predicted success) over the validation prompts. */
export function difficultyQuantiles(set: TrainingSet, model: TrainedSelectionModel): number[] {
  const examples = set.validation.length > 0 ? set.validation : set.train;
  const d = examples
    .map((e) => {
      const p = model.predictor.predict(e.x);
      return 1 - p.reduce((s, v) => s + v, 0) / p.length;
    })
    .sort((a, b) => a - b);
  return Array.from({ length: 101 }, (_, i) => {
    const at = (i / 100) * (d.length - 1);
    const lo = Math.floor(at);
    const hi = Math.min(d.length - 1, lo + 1);
    const v = (d[lo] as number) + ((d[hi] as number) - (d[lo] as number)) * (at - lo);
    return Math.round(v * 1e6) / 1e6;
  });
}

export function writeSelectionModel(
  outDir: string,
  set: TrainingSet,
  model: TrainedSelectionModel,
): { jsonFile: string; bytes: number } {
  const tensors: Record<string, Tensor> = { idf: set.featurizer.idf, ...model.tensors };
  const entries: Record<string, TensorEntry> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const bytes = Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength);
    const padding = (4 - (bytes.length % 4)) % 4;
    entries[name] = { type: tensorType(tensor), offset, length: tensor.length };
    chunks.push(bytes, Buffer.alloc(padding));
    offset += bytes.length + padding;
  }
  const bin = Buffer.concat(chunks);
  const header: SelectionModelHeader = {
    format: SELECTION_MODEL_FORMAT,
    version: SELECTION_MODEL_VERSION,
    algorithm: model.algorithm,
    dataset: set.dataset.name,
    costUnit: set.dataset.costUnit,
    profiles: set.dataset.profiles.map((name, m) => ({
      name,
      prior: Math.round((set.priors[m] as number) * 1e6) / 1e6,
      meanCost: Math.round((set.meanCosts[m] as number) * 1e9) / 1e9,
    })),
    featurizer: { ...set.featurizer.config },
    params: model.params,
    difficultyQuantiles: difficultyQuantiles(set, model),
    tensorFile: `${model.algorithm}.bin`,
    tensorSha256: createHash('sha256').update(bin).digest('hex'),
    tensors: entries,
  };
  mkdirSync(outDir, { recursive: true });
  const jsonFile = path.join(outDir, `${model.algorithm}.json`);
  writeFileSync(path.join(outDir, header.tensorFile), bin);
  writeFileSync(jsonFile, `${JSON.stringify(header, null, 1)}\n`);
  return { jsonFile, bytes: bin.length };
}
