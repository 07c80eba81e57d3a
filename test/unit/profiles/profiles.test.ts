// Routing profiles (`entrypoints` + `recipes[]`): the request's model name picks the profile whose signals,
// decisions and strategy route it; the names are listed by GET /v1/models; mistakes are reported where written.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { validateCommand } from '../../../src/cli/validate.ts';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { admitRequest, listModels } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { bodyFor } from '../../helpers/request-context.ts';

const POLICY = `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: small, pools: [p] }
  - { name: large, pools: [p] }
  - { name: local, pools: [p] }
routing:
  signals:
    keywords:
      - { name: secret, operator: OR, keywords: [password] }
      - { name: code, operator: OR, keywords: [python] }
  decisions:
    - name: block-secrets
      enforce: always
      priority: 1000
      rules: { operator: OR, conditions: [{ type: keyword, name: secret }] }
      modelRefs: [{ model: local }]
    - name: code
      priority: 10
      rules: { operator: OR, conditions: [{ type: keyword, name: code }] }
      modelRefs: [{ model: large }]
entrypoints:
  - { model_names: [acme/fast, acme/quick], recipe: speed }
  - { model_names: [acme/careful], recipe: accuracy }
  - { model_names: [acme/main], recipe: default }
recipes:
  - name: speed
    description: Short answers on the small model.
    routing:
      signals:
        keywords:
          - { name: code, operator: OR, keywords: [python] }
      decisions:
        - name: fast-code
          priority: 10
          rules: { operator: OR, conditions: [{ type: keyword, name: code }] }
          modelRefs: [{ model: small }]
  - name: accuracy
    routing:
      strategy: confidence
      signals:
        keywords:
          - { name: proof, operator: OR, keywords: [prove, theorem, lemma] }
          - { name: math, operator: OR, keywords: [integral] }
      decisions:
        - name: high-priority-proof
          priority: 100
          rules: { operator: OR, conditions: [{ type: keyword, name: proof }] }
          modelRefs: [{ model: large }]
        - name: confident-math
          priority: 10
          rules: { operator: OR, conditions: [{ type: keyword, name: math }] }
          modelRefs: [{ model: local }]
        - name: everything-else
          priority: 500
          modelRefs: [{ model: small }]
`;

let policy: Policy;

beforeAll(async () => {
  policy = await compilePolicyText(POLICY, 'profiles.yaml');
});

afterAll(() => policy.close());

async function route(model: string, text: string) {
  const body = Buffer.from(JSON.stringify(bodyFor({ model, text })), 'utf8');
  return explainRequest(policy, 'profiles.yaml', body, new Map());
}

describe('routing profiles chosen by the request model name', () => {
  it.each([
    // The same prompt, three routings: the top level, the speed recipe, the accuracy recipe.
    ['auto', 'write python to sort a list', null, 'code', 'large'],
    ['acme/fast', 'write python to sort a list', 'speed', 'fast-code', 'small'],
    ['acme/quick', 'write python to sort a list', 'speed', 'fast-code', 'small'],
    ['acme/careful', 'write python to sort a list', 'accuracy', 'everything-else', 'small'],
    // `recipe: default` is the top-level routing under a virtual name.
    ['acme/main', 'write python to sort a list', 'default', 'code', 'large'],
    // No decision of the profile matches: the default model, as at the top level.
    ['acme/fast', 'hello there', 'speed', null, 'small'],
  ])('%s: %s', async (model, text, profile, decision, chosen) => {
    const explanation = await route(model, text);
    expect(explanation.profile?.name ?? null).toBe(profile);
    expect(explanation.winner?.name ?? null).toBe(decision);
    expect(explanation.model?.name).toBe(chosen);
  });

  it('evaluates only the profile’s own decisions', async () => {
    const explanation = await route('acme/fast', 'write python');
    expect(explanation.decisions.map((d) => d.name)).toEqual(['fast-code']);
  });

  it('keeps each profile’s strategy, with the peer’s tie rule: equal confidences fall to priority', async () => {
    // Both keyword rules match with confidence 1 under `strategy: confidence`: the higher priority wins the tie.
    const both = await route('acme/careful', 'prove this theorem about the integral');
    expect(both.profile?.strategy).toBe('confidence');
    expect(both.winner?.name).toBe('high-priority-proof');
  });

  it('ranks a catch-all after any real match, whatever its priority', async () => {
    const explanation = await route('acme/careful', 'compute the integral of x');
    expect(explanation.winner?.name).toBe('confident-math');
    expect(explanation.model?.name).toBe('local');
  });

  it('still applies the top-level guardrails (enforce: always) to a profile’s requests', async () => {
    const explanation = await route('acme/fast', 'my password is hunter2, write python');
    expect(explanation.winner).toMatchObject({ name: 'block-secrets', enforced: true });
    expect(explanation.model?.name).toBe('local');
  });

  it('lets an explicit model name bypass the profiles', async () => {
    const explanation = await route('large', 'write python');
    expect(explanation.profile).toBeNull();
    expect(explanation.winner).toBeNull();
    expect(explanation.model?.name).toBe('large');
  });

  it('lists the virtual model names in GET /v1/models, beside the auto names and the models', () => {
    const ids = listModels(policy).map((m) => m.id);
    expect(ids).toEqual([
      'auto',
      'acme/fast',
      'acme/quick',
      'acme/careful',
      'acme/main',
      'small',
      'large',
      'local',
    ]);
    const admission = admitRequest(policy, {
      method: 'GET',
      path: '/v1/models/acme%2Fcareful',
      headers: new Map(),
    });
    expect(admission.kind).toBe('local');
    if (admission.kind === 'local') {
      expect(JSON.parse(Buffer.from(admission.result.body ?? []).toString('utf8'))).toMatchObject({
        id: 'acme/careful',
      });
    }
  });
});

async function issuesOf(yaml: string): Promise<readonly PolicyIssue[]> {
  try {
    const compiled = await compilePolicyText(yaml, 'profiles.yaml');
    const warnings = [...compiled.warnings];
    compiled.close();
    return warnings;
  } catch (error) {
    if (error instanceof PolicyError) return error.issues;
    throw error;
  }
}

describe('profile mistakes are reported where they are written', () => {
  it.each([
    {
      name: 'an entrypoint naming a missing recipe',
      edit: (y: string) => y.replace('recipe: accuracy }', 'recipe: acuracy }'),
      path: 'entrypoints[1].recipe',
      message: /recipe 'acuracy', which is not defined under recipes/,
      hint: /did you mean 'accuracy'\?/,
    },
    {
      name: 'a virtual name selecting two recipes',
      edit: (y: string) => y.replace('[acme/careful]', '[acme/fast]'),
      path: 'entrypoints[1].model_names[0]',
      message: /virtual model 'acme\/fast' already selects recipe 'speed'/,
    },
    {
      name: 'a virtual name that is a model',
      edit: (y: string) => y.replace('[acme/careful]', '[large]'),
      path: 'entrypoints[1].model_names[0]',
      message: /virtual model 'large' is also a model name/,
    },
    {
      name: 'a virtual name that is an auto name',
      edit: (y: string) => y.replace('[acme/careful]', '[auto]'),
      path: 'entrypoints[1].model_names[0]',
      message: /is also an auto model name/,
    },
    {
      name: 'a duplicate recipe name',
      edit: (y: string) => y.replace('  - name: accuracy\n', '  - name: speed\n'),
      path: 'recipes[1].name',
      message: /duplicate recipe name 'speed'/,
    },
    {
      name: 'a recipe decision referencing a signal only the top level defines',
      edit: (y: string) => y.replace('{ type: keyword, name: math }', '{ type: keyword, name: secret }'),
      path: 'recipes[1].routing.decisions[1].rules.conditions[0].name',
      message: /keyword signal 'secret', which is not defined/,
    },
    {
      name: 'a recipe decision naming an unknown model',
      edit: (y: string) =>
        y.replace(
          'modelRefs: [{ model: local }]\n        - name: everything',
          'modelRefs: [{ model: locale }]\n        - name: everything',
        ),
      path: 'recipes[1].routing.decisions[1].modelRefs[0].model',
      message: /routes to model 'locale'/,
    },
    {
      name: 'a recipe no entrypoint names (warning)',
      edit: (y: string) => y.replace('  - { model_names: [acme/careful], recipe: accuracy }\n', ''),
      path: 'recipes[1].name',
      message: /recipe 'accuracy' is not named by any entrypoint/,
    },
  ])(
    '$name',
    async ({
      edit,
      path,
      message,
      hint,
    }: {
      edit: (y: string) => string;
      path: string;
      message: RegExp;
      hint?: RegExp;
    }) => {
      const issues = await issuesOf(edit(POLICY));
      const issue = issues.find((i) => i.path === path);
      expect(issue, JSON.stringify(issues, null, 2)).toBeDefined();
      expect(issue?.message).toMatch(message);
      expect(issue?.line).toBeGreaterThan(20);
      if (hint) expect(issue?.hint).toMatch(hint);
    },
  );

  it('reads a recipe field it does not know as an error with its path', async () => {
    const issues = await issuesOf(POLICY.replace('  - name: speed\n', '  - name: speed\n    tier: 2\n'));
    expect(issues.find((i) => i.path === 'recipes[0].tier')?.message).toMatch(/unknown field 'tier'/);
  });
});

describe('validate', () => {
  it('counts each profile’s decisions, so a file of profiles no longer reads as 0 decisions', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'profiles-validate-'));
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, POLICY);
    const out: string[] = [];
    try {
      const code = await validateCommand(file, { out: (t) => out.push(t), err: () => {} });
      expect(code).toBe(0);
      expect(out.join('')).toContain(
        '2 decisions, 3 profiles (speed: 1 decisions, accuracy: 3 decisions, default: 2 decisions)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('v0.3 files', () => {
  it('take their auto names from global.router, and their profiles from entrypoints and recipes', async () => {
    const v03 = `version: v0.3
providers:
  defaults: { default_model: small }
  models:
    - { name: small, backend_refs: [{ name: primary, endpoint: "small:8000" }] }
routing: {}
entrypoints: [{ model_names: [vllm-sr/lite], recipe: cost }]
recipes:
  - name: cost
    routing:
      decisions: [{ name: all, rules: { operator: AND, conditions: [] }, modelRefs: [{ model: small }] }]
global:
  router: { auto_model_name: exhaustive-reference, auto_model_names: [vllm-sr/auto] }
`;
    const compiled = await compilePolicyText(v03, 'v03.yaml');
    try {
      expect([...compiled.autoModelNames]).toEqual(['auto', 'MoM', 'exhaustive-reference', 'vllm-sr/auto']);
      expect(compiled.profiles.get('vllm-sr/lite')?.decisions.map((d) => d.name)).toEqual(['all']);
    } finally {
      compiled.close();
    }
  });
});
