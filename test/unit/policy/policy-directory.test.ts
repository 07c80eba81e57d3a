// A policy directory (one ConfigMap per team) is merged into one policy; conflicts and errors name the file and
// line that wrote them.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { chatBody } from '../../helpers/request-context.ts';

const BASE = `version: v1
default_model: small
pools:
  - { name: l4-pool, max_context_tokens: 32K }
  - { name: h100-pool, max_context_tokens: 128K }
models:
  - { name: small, provider_model_id: Qwen/Qwen3-8B, pools: [l4-pool] }
  - { name: coder, provider_model_id: Qwen/Qwen3-Coder-30B, pools: [h100-pool] }
  - { name: reasoner, provider_model_id: Qwen/Qwen3-235B, pools: [h100-pool] }
`;

const TEAM_CODE = `routing:
  signals:
    keywords:
      - { name: code, keywords: [python, function] }
  decisions:
    - name: code
      rules: { type: keyword, name: code }
      modelRefs: [{ model: coder }]
`;

const TEAM_MATH = `routing:
  signals:
    keywords:
      - { name: math, keywords: [integral, theorem] }
  decisions:
    - name: math
      rules: { type: keyword, name: math }
      modelRefs: [{ model: reasoner }]
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'policy-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>, into = dir): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(into, name), text);
}

async function issuesOf(target: string): Promise<PolicyIssue[]> {
  try {
    (await loadPolicyFile(target)).close();
  } catch (error) {
    if (error instanceof PolicyError) return [...error.issues];
    throw error;
  }
  throw new Error('the policy loaded');
}

async function routeOf(policy: Policy, prompt: string): Promise<string | undefined> {
  const body = chatBody(prompt);
  return (await explainRequest(policy, dir, body, new Map())).winner?.name;
}

describe('policy directories', () => {
  it('merges every YAML file of the directory into one policy', async () => {
    write({
      '00-base.yaml': BASE,
      'team-code.yaml': TEAM_CODE,
      'team-math.yml': TEAM_MATH,
      'notes.txt': 'x',
    });
    const policy = await loadPolicyFile(dir);
    try {
      expect(policy.source.files.map((f) => path.basename(f))).toEqual([
        '00-base.yaml',
        'team-code.yaml',
        'team-math.yml',
      ]);
      expect(policy.warnings).toEqual([]);
      expect(await routeOf(policy, 'write a python function')).toBe('code');
      expect(await routeOf(policy, 'prove this theorem')).toBe('math');
      expect(await routeOf(policy, 'hello')).toBeUndefined();
    } finally {
      policy.close();
    }
  });

  it('reads a ConfigMap volume: files are symlinks into ..data, hidden entries are ignored', async () => {
    const version = path.join(dir, '..2026_11_22_10_00_00.000000001');
    mkdirSync(version);
    write({ 'base.yaml': BASE, 'team-code.yaml': TEAM_CODE }, version);
    symlinkSync(path.basename(version), path.join(dir, '..data'));
    for (const name of ['base.yaml', 'team-code.yaml']) symlinkSync(`..data/${name}`, path.join(dir, name));
    const policy = await loadPolicyFile(dir);
    try {
      expect(policy.source.files).toHaveLength(2);
      expect(await routeOf(policy, 'python please')).toBe('code');
    } finally {
      policy.close();
    }
  });

  it('rejects a name defined in two files, naming both and the line in the second', async () => {
    write({ 'a.yaml': BASE + TEAM_CODE, 'b.yaml': TEAM_CODE.replace('python, function', 'java') });
    const issues = await issuesOf(dir);
    const decision = issues.find((i) => i.message.includes("'code' (routing.decisions)"));
    expect(decision).toMatchObject({ file: path.join(dir, 'b.yaml'), line: 6, severity: 'error' });
    expect(decision?.message).toContain(path.join(dir, 'a.yaml'));
    expect(issues.some((i) => i.message.includes("'code' (routing.signals.keywords)"))).toBe(true);
  });

  it('rejects a setting two files set differently', async () => {
    write({ 'a.yaml': BASE, 'b.yaml': 'default_model: coder\n' });
    const [issue] = await issuesOf(dir);
    expect(issue?.message).toBe(
      `default_model is "small" in ${path.join(dir, 'a.yaml')} but "coder" in ${path.join(dir, 'b.yaml')}`,
    );
    expect(issue).toMatchObject({ file: path.join(dir, 'b.yaml'), line: 1, path: 'default_model' });
  });

  it('locates a compile error in the file and line that wrote it', async () => {
    const broken = TEAM_MATH.replace('model: reasoner', 'model: reasonr');
    write({ 'a.yaml': BASE, 'b.yaml': TEAM_CODE, 'c.yaml': broken });
    const issues = await issuesOf(dir);
    expect(issues).toEqual([
      expect.objectContaining({
        file: path.join(dir, 'c.yaml'),
        line: 8,
        path: 'routing.decisions[1].modelRefs[0].model',
        hint: expect.stringContaining('reasoner'),
      }),
    ]);
  });

  it('reports YAML syntax errors of every broken file', async () => {
    write({ 'a.yaml': BASE, 'b.yaml': 'routing: [\n', 'c.yaml': 'pools: {\n' });
    const files = (await issuesOf(dir)).map((i) => path.basename(i.file));
    expect(files).toEqual(['b.yaml', 'c.yaml']);
  });

  it('refuses a directory without policy files', async () => {
    write({ 'README.md': '# nothing here' });
    const [issue] = await issuesOf(dir);
    expect(issue?.message).toBe('policy directory has no .yaml or .yml files');
  });

  it('resolves model paths of ML rules against the directory', async () => {
    const models = path.resolve('models');
    write({
      'a.yaml': BASE,
      'b.yaml': `routing:
  signals:
    classifiers:
      - { name: banking, model: ${path.relative(dir, path.join(models, 'guard'))}, label: finance }
  decisions:
    - name: banking
      rules: { type: classifier, name: banking }
      modelRefs: [{ model: small }]
`,
    });
    const policy = await loadPolicyFile(dir);
    try {
      expect(await routeOf(policy, 'My card payment was declined at the shop')).toBe('banking');
    } finally {
      policy.close();
    }
  });
});
