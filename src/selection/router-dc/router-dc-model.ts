// The RouterDC model file (`models/selection/<data>/router_dc.json`): one learned vector per model (profile) in the
// built-in embedder's space, trained offline (src/training/selection/train-router-dc.ts). Read and checked at
// policy load; scoring a query vector is a handful of dot products.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { findPackageFile } from '../../package-files.ts';

export const ROUTER_DC_FORMAT = 'semantic-router/router-dc@1';

const profileSchema = z.strictObject({
  name: z.string().min(1),
  /** Share of the training prompts the model answered right. */
  prior: z.number().min(0).max(1),
  /** Mean cost per prompt in the data's unit. */
  meanCost: z.number().nonnegative(),
  /** Unit vector in the embedder's space. */
  vector: z.array(z.number()),
});

export const routerDcFileSchema = z.strictObject({
  format: z.literal(ROUTER_DC_FORMAT),
  algorithm: z.literal('router_dc'),
  dataset: z.string().min(1),
  /** The query encoder the vectors were trained against: the built-in embedder, identified by its sha256. */
  embedder: z.strictObject({
    model: z.string().min(1),
    sha256: z.string().length(64),
    dim: z.number().int().positive(),
  }),
  /** Softmax temperature used in training; the policy's `temperature` defaults to it. */
  temperature: z.number().positive(),
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  profiles: z.array(profileSchema).min(2, 'a RouterDC model needs at least two profiles'),
});

export type RouterDcFile = z.infer<typeof routerDcFileSchema>;

export interface RouterDcModel {
  readonly file: string;
  readonly header: RouterDcFile;
  readonly profileIndex: ReadonlyMap<string, number>;
  readonly dim: number;
  /** Cosine of a unit query vector with each profile's vector. */
  similarities(query: ArrayLike<number>): Float64Array;
}

export class RouterDcModelError extends Error {
  override readonly name = 'SelectionModelError';
}

/** Built-in data sets a policy may name with `model:`. */
export const BUILT_IN_ROUTER_DC_DATASETS = ['mmlu-pro', 'routerbench'] as const;

export function builtInRouterDcFile(dataset: string): string {
  return path.join(findPackageFile('models/selection'), dataset, 'router_dc.json');
}

/** The sha256 of the built-in embedder (its card), which a model file must have been trained against. */
export function builtInEmbedderSha256(): string {
  const card = JSON.parse(readFileSync(findPackageFile('models/embedding/card.json'), 'utf8')) as {
    modelSha256?: unknown;
  };
  return typeof card.modelSha256 === 'string' ? card.modelSha256 : '';
}

function unit(vector: readonly number[]): Float64Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Float64Array.from(vector, (x) => x * scale);
}

/** Builds a model from a parsed file (also what the trainer evaluates with, before writing). */
export function routerDcModel(header: RouterDcFile, file: string): RouterDcModel {
  const dim = header.embedder.dim;
  const vectors = header.profiles.map((p, i) => {
    if (p.vector.length !== dim)
      throw new RouterDcModelError(
        `${file}: profiles[${i}].vector has ${p.vector.length} values, expected ${dim}`,
      );
    return unit(p.vector);
  });
  return {
    file,
    header,
    dim,
    profileIndex: new Map(header.profiles.map((p, i) => [p.name, i])),
    similarities(query) {
      const out = new Float64Array(vectors.length);
      vectors.forEach((v, i) => {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += (v[d] as number) * ((query[d] as number) ?? 0);
        out[i] = Number.isFinite(dot) ? Math.min(1, Math.max(-1, dot)) : 0;
      });
      return out;
    },
  };
}

/** Reads and checks a model file; throws RouterDcModelError naming the file and what is wrong. */
export function loadRouterDcModel(
  file: string,
  expectedEmbedderSha256 = builtInEmbedderSha256(),
): RouterDcModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RouterDcModelError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = routerDcFileSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new RouterDcModelError(
      `${file} is not a RouterDC model: ${first?.path.join('.')}: ${first?.message}`,
    );
  }
  if (parsed.data.embedder.sha256 !== expectedEmbedderSha256)
    throw new RouterDcModelError(
      `${file} was trained against another embedder (sha256 ${parsed.data.embedder.sha256.slice(0, 12)}…); retrain it with 'semantic-router train --task selection --algorithm router_dc'`,
    );
  return routerDcModel(parsed.data, path.resolve(file));
}
