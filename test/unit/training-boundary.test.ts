// `serve` must never load the trainer (src/training/): neither by its import graph nor at run time.
import { execFile, spawn } from 'node:child_process';
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

const NODE_ARGS = ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`];

/** Repo-relative paths of the files the hook saw resolved, from a child's stderr. */
function loadedFiles(stderr: string): string[] {
  const prefix = `loaded file://${repoRoot}/`;
  return stderr
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/** Repo-relative paths of the files Node resolves while importing `file`. */
async function filesLoadedBy(file: string): Promise<string[]> {
  const script = `await import(${JSON.stringify(`./${file}`)});`;
  const { stderr } = await run(process.execPath, [...NODE_ARGS, '--input-type=module', '-e', script], {
    cwd: repoRoot,
  });
  return loadedFiles(stderr);
}

/** Files `semantic-router serve` resolves up to listening with `policy` (its models loaded), then stops it. */
function filesLoadedByServe(policy: string): Promise<string[]> {
  const args = ['src/cli/main.ts', 'serve', '--policy', policy, '--port', '0', '--admin-port', '0'];
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('semantic-router listening')) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', () =>
      stderr.includes('semantic-router listening')
        ? resolve(loadedFiles(stderr))
        : reject(new Error(`serve did not start: ${stderr.slice(-2000)}`)),
    );
  });
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

  it('importing src/app.ts loads the session pool and no training module', async () => {
    const loaded = await filesLoadedBy('src/app.ts');
    expect(loaded).toContain('src/ml/onnx-session-pool.ts');
    expect(loaded.filter((file) => file.startsWith('src/training/'))).toEqual([]);
  });

  it('serve with the default policy loads the families it names, no model runtime and no training module', async () => {
    const loaded = await filesLoadedByServe('policies/default.yaml');
    expect(loaded).toContain('src/signals/pii.ts');
    expect(loaded).toContain('src/signals/language.ts');
    // Families, plugins and algorithms the policy does not name are imported only by a policy that names them.
    expect(loaded).not.toContain('src/signals/classifiers.ts');
    expect(loaded).not.toContain('src/ml/model-store.ts');
    expect(loaded).not.toContain('src/plugins/block.ts');
    expect(loaded).not.toContain('src/selection/looper/index.ts');
    expect(loaded.filter((file) => file.startsWith('src/training/'))).toEqual([]);
  });

  it('serve with the ML example policy loads its models and no training module', async () => {
    const loaded = await filesLoadedByServe('policies/ml-guardrails.yaml');
    expect(loaded).toContain('src/ml/wide-mlp/classifier-runtime.ts');
    expect(loaded).toContain('src/signals/classifiers.ts');
    expect(loaded.filter((file) => file.startsWith('src/training/'))).toEqual([]);
  });

  it('importing the train command does load the trainer (the probe sees src/training/ when it is there)', async () => {
    const loaded = await filesLoadedBy('src/cli/train.ts');
    expect(loaded).toContain('src/training/trainer/wide-mlp.ts');
  });
});
