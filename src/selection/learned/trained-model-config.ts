// Config steps every selector backed by a trained file shares: which file a `model:` value names, loading it as a
// config issue rather than a crash, and checking the candidate → profile map against the profiles it knows.
import path from 'node:path';
import type { z } from 'zod';

/** The file of a built-in dataset name (default `mmlu-pro`), else `model` as a path. */
export function trainedModelFile(
  model: string | undefined,
  builtIns: readonly string[],
  builtInFile: (name: string) => string,
): string {
  const name = model ?? 'mmlu-pro';
  return builtIns.includes(name) ? builtInFile(name) : path.resolve(name);
}

/** The loaded model, or undefined after adding an issue at `model` that says why it cannot be loaded. */
export function loadTrainedModel<M>(
  load: () => M,
  ctx: z.RefinementCtx,
  message: (problem: string) => string,
): M | undefined {
  try {
    return load();
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['model'], message: message((error as Error).message) });
    return undefined;
  }
}

/** An issue at `models.<candidate>` for each profile the trained file does not know. */
export function checkProfiles(
  models: Readonly<Record<string, string>> | undefined,
  known: { has(profile: string): boolean; keys(): Iterable<string> },
  file: string,
  ctx: z.RefinementCtx,
): void {
  for (const [candidate, profile] of Object.entries(models ?? {}))
    if (!known.has(profile))
      ctx.addIssue({
        code: 'custom',
        path: ['models', candidate],
        message: `'${profile}' is not a profile of ${path.basename(file)}; it knows: ${[...known.keys()].join(', ')}`,
      });
}
