// `serve` must never load the trainer (src/training/): neither by its import graph nor at run time.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { reachable, repoRoot, trainingReachedByServe } from '../helpers/import-graph.ts';

const run = promisify(execFile);

// A module-resolution hook that prints every file URL Node resolves, registered before the script runs.
const HOOK = `import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) writeSync(2, 'loaded ' + result.url + '\\n');
  return result;
}`;
const REGISTER = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

/** Repo-relative paths of the files Node resolves while importing `file`. */
async function filesLoadedBy(file: string): Promise<string[]> {
  const { stderr } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      `data:text/javascript,${encodeURIComponent(REGISTER)}`,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(`./${file}`)});`,
    ],
    { cwd: repoRoot },
  );
  const prefix = `loaded file://${repoRoot}/`;
  return stderr
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

describe('training split from serving', () => {
  it('no import chain leads from src/app.ts or the serve path of src/cli/main.ts into src/training/', () => {
    expect(trainingReachedByServe().map((chain) => chain.join(' -> '))).toEqual([]);
  });

  it('the import walk does see the trainer behind the train command', () => {
    const fromTrain = [...reachable(['src/cli/train.ts']).keys()];
    expect(fromTrain).toContain('src/training/trainer/wide-mlp.ts');
    expect(fromTrain).toContain('src/training/datasets/index.ts');
  });

  it('importing src/app.ts loads the model runtime and no training module', async () => {
    const loaded = await filesLoadedBy('src/app.ts');
    expect(loaded).toContain('src/ml/model-store.ts');
    expect(loaded).toContain('src/ml/wide-mlp/classifier-runtime.ts');
    expect(loaded.filter((file) => file.startsWith('src/training/'))).toEqual([]);
  });

  it('importing the train command does load the trainer (the probe sees src/training/ when it is there)', async () => {
    const loaded = await filesLoadedBy('src/cli/train.ts');
    expect(loaded).toContain('src/training/trainer/wide-mlp.ts');
  });
});
