// The Dockerfile's properties, checked statically since Docker cannot run here: multi-stage, production
// dependencies only, only the linux-x64 ONNX Runtime kept (the prune command is run on a mock tree), models and
// policies baked in, non-root, HEALTHCHECK, an ENTRYPOINT that exists after `npm run build`.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/helm.ts';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Dockerfile instructions (continuation lines joined, comments dropped), grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1) as Stage;
const build = stages[0] as Stage;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const runText = (stage: Stage) =>
  all(stage, 'RUN')
    .map((i) => i.args)
    .join('\n');

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs a Node 20 slim image in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[.\d]*-bookworm-slim$/m);
    expect(build.from).toMatch(/^\$\{NODE_IMAGE\}$/);
    expect(runtime.from).toBe(build.from);
    expect(runText(build)).toMatch(/npm ci/);
    expect(runText(build)).toMatch(/npm run build/);
    expect(runText(build)).toMatch(/npm prune --omit=dev/);
    // The runtime stage installs nothing: it copies the pruned node_modules and dist from the build stage.
    expect(all(runtime, 'RUN')).toEqual([]);
    const fromBuild = all(runtime, 'COPY').filter((i) => i.args.startsWith(`--from=${build.name}`));
    expect(fromBuild.map((i) => i.args.split(/\s+/)[1])).toEqual(
      expect.arrayContaining(['/app/node_modules', '/app/dist']),
    );
  });

  it('keeps only the linux-x64 ONNX Runtime binaries', () => {
    const prune = /for napi in [\s\S]*?done/.exec(runText(build))?.[0];
    expect(prune).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'onnx-prune-'));
    scratchDirs.push(dir);
    const bin = path.join(repoRoot, 'node_modules/onnxruntime-node/bin');
    for (const napi of readdirSync(bin))
      for (const platform of readdirSync(path.join(bin, napi)))
        for (const arch of readdirSync(path.join(bin, napi, platform))) {
          mkdirSync(path.join(dir, 'node_modules/onnxruntime-node/bin', napi, platform, arch), {
            recursive: true,
          });
          writeFileSync(path.join(dir, 'node_modules/onnxruntime-node/bin', napi, platform, arch, 'lib'), '');
        }
    execFileSync('sh', ['-c', prune ?? 'false'], { cwd: dir });
    const left = execFileSync('find', ['node_modules/onnxruntime-node/bin', '-type', 'f'], {
      cwd: dir,
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    expect(left.length).toBeGreaterThan(0);
    for (const file of left) expect(file).toMatch(/\/napi-v\d+\/linux\/x64\/lib$/);
  });

  it('bakes in the models, protos and policies the router reads at runtime', () => {
    const copies = all(runtime, 'COPY').map((i) => i.args);
    for (const dir of ['models', 'proto', 'policies']) expect(copies).toContain(`${dir} ./${dir}`);
  });

  it('runs as a non-root user with a HEALTHCHECK and the serve ENTRYPOINT', () => {
    const user = all(runtime, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    const healthcheck = all(runtime, 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(healthcheck).toMatch(/--interval=\d+s/);
    expect(healthcheck).toContain('/healthz');
    const entrypoint = JSON.parse(all(runtime, 'ENTRYPOINT').at(-1)?.args ?? 'null') as string[];
    expect(entrypoint).toEqual(['node', 'dist/bundle/main.js', 'serve']);
    // npm run build bundles dist/src/cli/main.js (tsc's output of src/cli/main.ts) into dist/bundle/main.js.
    const packageJson = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(packageJson.scripts.build).toMatch(/node scripts\/bundle\.mjs/);
    const buildConfig = JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(buildConfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    const cmd = JSON.parse(all(runtime, 'CMD').at(-1)?.args ?? 'null') as string[];
    expect(cmd.slice(0, 2)).toEqual(['--policy', 'policies/default.yaml']);
    expect(all(runtime, 'EXPOSE').at(-1)?.args.split(/\s+/)).toEqual(['50051', '9190']);
  });

  it('health-checks the admin server on loopback, where the router binds it by default', () => {
    const healthcheck = all(runtime, 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(healthcheck).toMatch(
      /http:\/\/127\.0\.0\.1:\$\{process\.env\.SEMANTIC_ROUTER_ADMIN_PORT\}\/healthz/,
    );
    const cmd = JSON.parse(all(runtime, 'CMD').at(-1)?.args ?? 'null') as string[];
    const flag = (name: string) => cmd[cmd.indexOf(name) + 1];
    const env = all(runtime, 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toContain(`SEMANTIC_ROUTER_ADMIN_PORT=${flag('--admin-port')}`);
    // The default command binds the container's interfaces, so `-p 127.0.0.1:9190:9190` reaches the admin port.
    expect(flag('--admin-host')).toBe('0.0.0.0');
    expect(flag('--host')).toBe('0.0.0.0');
  });

  it('copies every script npm run build runs into the build stage', () => {
    const packageJson = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const scripts = [...(packageJson.scripts.build ?? '').matchAll(/node (scripts\/\S+)/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    const copied = all(build, 'COPY').map((i) => i.args.split(/\s+/)[0]);
    for (const script of scripts) expect(copied, script).toContain(path.dirname(script as string));
  });

  it('sends the build context the COPY instructions need and nothing heavy', () => {
    const ignored = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', '.git', 'test']));
    const sources = stages
      .flatMap((stage) => all(stage, 'COPY'))
      .filter((i) => !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of sources) {
      expect(ignored, source).not.toContain(source);
      expect(existsSync(path.join(repoRoot, source)), source).toBe(true);
    }
  });
});
