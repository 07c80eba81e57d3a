// A broken policy gets every problem reported with file, line, YAML path and a fix; nothing half-loads.
import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';

const BASE = `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 32K
models:
  - name: small
    pools: [l4-pool]
routing:
  signals:
    keywords:
      - { name: code, operator: OR, keywords: [python] }
  decisions:
    - name: code
      priority: 10
      rules: { operator: OR, conditions: [{ type: keyword, name: code }] }
      modelRefs: [{ model: small }]
`;

async function issuesOf(yaml: string): Promise<PolicyIssue[]> {
  try {
    const policy = await compilePolicyText(yaml, 'team.yaml');
    policy.close();
    return [...policy.warnings];
  } catch (error) {
    if (error instanceof PolicyError) return [...error.issues];
    throw error;
  }
}

describe('policy validation', () => {
  it('accepts the base policy without issues', async () => {
    expect(await issuesOf(BASE)).toEqual([]);
  });

  it.each([
    {
      name: 'a misspelled field, with a suggestion',
      yaml: BASE.replace('max_context_tokens: 32K', 'max_context_token: 32K'),
      path: 'pools[0].max_context_token',
      message: "unknown field 'max_context_token'",
      hint: "did you mean 'max_context_tokens'?",
      line: 5,
    },
    {
      name: 'a decision referencing an undefined signal',
      yaml: BASE.replace('{ type: keyword, name: code }', '{ type: keyword, name: kode }'),
      path: 'routing.decisions[0].rules.conditions[0].name',
      message: "keyword signal 'kode', which is not defined under routing.signals.keywords",
      hint: 'use one of: code',
      line: 16,
    },
    {
      name: 'an unknown signal family',
      yaml: BASE.replace('    keywords:\n', '    keywordz:\n'),
      path: 'routing.signals.keywordz',
      message: "unknown signal family 'keywordz'",
      hint: "did you mean 'keywords'?",
    },
    {
      name: 'an ML signal family this version lacks',
      yaml: BASE.replace('    keywords:\n', '    input_modality: []\n    keywords:\n'),
      path: 'routing.signals.input_modality',
      message: 'needs ML classifiers',
    },
    {
      name: 'an unknown condition type',
      yaml: BASE.replace('{ type: keyword, name: code }', '{ type: keywrd, name: code }'),
      path: 'routing.decisions[0].rules.conditions[0].type',
      message: "unknown condition type 'keywrd'",
      hint: "did you mean 'keyword'?",
    },
    {
      name: 'a model on an undefined pool',
      yaml: BASE.replace('pools: [l4-pool]', 'pools: [l4-pol]'),
      path: 'models[0].pools[0]',
      message: "names pool 'l4-pol', which is not defined under pools",
      hint: "did you mean 'l4-pool'?",
      line: 8,
    },
    {
      name: 'a decision routing to an undefined model',
      yaml: BASE.replace('modelRefs: [{ model: small }]', 'modelRefs: [{ model: large }]'),
      path: 'routing.decisions[0].modelRefs[0].model',
      message: "routes to model 'large', which is not defined",
    },
    {
      name: 'an undefined default model',
      yaml: BASE.replace('default_model: small', 'default_model: tiny'),
      path: 'default_model',
      message: "default model 'tiny' is not defined",
      line: 2,
    },
    {
      name: 'a bad token count',
      yaml: BASE.replace('32K', '32Q'),
      path: 'pools[0].max_context_tokens',
      message: "'32Q' is not a token count",
    },
    {
      name: 'NOT with two conditions',
      yaml: BASE.replace(
        '{ operator: OR, conditions: [{ type: keyword, name: code }] }',
        '{ operator: NOT, conditions: [{ type: keyword, name: code }, { type: keyword, name: code }] }',
      ),
      path: 'routing.decisions[0].rules.conditions',
      message: 'NOT takes exactly one condition, got 2',
    },
    {
      name: 'an invalid regex keyword',
      yaml: BASE.replace('keywords: [python] }', 'keywords: [python, "(unclosed"], method: regex }'),
      path: 'routing.signals.keywords[0].keywords[1]',
      message: 'invalid regular expression',
    },
    {
      name: 'a duplicate decision name',
      yaml: `${BASE}    - name: code\n      rules: { type: keyword, name: code }\n      modelRefs: [{ model: small }]\n`,
      path: 'routing.decisions[1].name',
      message: "duplicate decision name 'code'",
    },
    {
      name: 'a YAML syntax error',
      yaml: BASE.replace('  - name: l4-pool', '  - name: [l4-pool'),
      path: '',
      message: 'YAML syntax',
    },
    {
      name: 'a missing required section',
      yaml: BASE.replace(/models:\n {2}- name: small\n {4}pools: \[l4-pool\]\n/, ''),
      path: 'models',
      message: 'is required',
    },
    {
      name: 'a keyword rule with a bad operator',
      yaml: BASE.replace('operator: OR, keywords', 'operator: XOR, keywords'),
      path: 'routing.signals.keywords[0].operator',
      message: 'operator must be AND, OR or NOR',
    },
  ])('reports $name', async ({ yaml, path, message, hint, line }) => {
    const issues = await issuesOf(yaml);
    const issue = issues.find((i) => i.path === path && i.message.includes(message));
    expect(issue, JSON.stringify(issues, null, 2)).toBeDefined();
    expect(issue?.severity).toBe('error');
    expect(issue?.file).toBe('team.yaml');
    if (hint) expect(issue?.hint).toContain(hint);
    if (line) expect(issue?.line).toBe(line);
  });

  it('reports every error at once, not just the first', async () => {
    const yaml = BASE.replace('pools: [l4-pool]', 'pools: [gone]').replace(
      '{ type: keyword, name: code }',
      '{ type: keyword, name: nope }',
    );
    const errors = (await issuesOf(yaml)).filter((i) => i.severity === 'error');
    expect(errors.map((e) => e.path)).toEqual([
      'models[0].pools[0]',
      'routing.decisions[0].rules.conditions[0].name',
    ]);
  });

  it.each([
    {
      name: 'a decision shadowed by a catch-all of a lower tier',
      yaml: `${BASE}    - name: everything\n      tier: 1\n      rules: { operator: AND, conditions: [] }\n      modelRefs: [{ model: small }]\n`.replace(
        '    - name: code\n',
        '    - name: code\n      tier: 2\n',
      ),
      path: 'routing.decisions[0]',
      message: "decision 'code' can never win: 'everything'",
    },
    {
      name: 'a decision shadowed by a broader OR at higher priority',
      yaml: BASE.replace(
        'keywords: [python] }',
        'keywords: [python] }\n      - { name: java, keywords: [java] }',
      ).concat(
        '    - name: both\n      priority: 5\n      rules: { operator: AND, conditions: [{ type: keyword, name: code }, { type: keyword, name: java }] }\n      modelRefs: [{ model: small }]\n',
      ),
      path: 'routing.decisions[1]',
      message: "decision 'both' can never win: 'code'",
    },
    {
      name: 'a signal no decision uses',
      yaml: BASE.replace(
        'keywords: [python] }',
        'keywords: [python] }\n      - { name: unused, keywords: [x] }',
      ),
      path: 'routing.signals.keywords',
      message: 'signal keyword:unused is defined but no decision uses it',
    },
    {
      name: 'a model without pools',
      yaml: BASE.replace('    pools: [l4-pool]\n', '    pools: [l4-pool]\n  - name: orphan\n'),
      path: 'models[1].pools',
      message: "model 'orphan' has no pools",
    },
    {
      name: 'a v0.3 plugin this router does not implement',
      yaml: BASE.concat('      plugins: [{ type: shadow_dispatch, configuration: { enabled: true } }]\n'),
      path: 'routing.decisions[0].plugins[0].type',
      message: "plugin 'shadow_dispatch' is not supported yet",
    },
  ])('warns about $name', async ({ yaml, path, message }) => {
    const issues = await issuesOf(yaml);
    const issue = issues.find((i) => i.path === path && i.message.includes(message));
    expect(issue, JSON.stringify(issues, null, 2)).toBeDefined();
    expect(issue?.severity).toBe('warning');
  });

  it('does not flag decisions that win on their own requests', async () => {
    const yaml = `${BASE}    - name: fallback\n      priority: 0\n      rules: { operator: AND, conditions: [] }\n      modelRefs: [{ model: small }]\n`;
    expect(await issuesOf(yaml)).toEqual([]);
  });

  it('evaluates only the signal families some decision references', async () => {
    const policy = await compilePolicyText(
      BASE.replace(
        '    keywords:\n',
        '    context:\n      - { name: long, min_tokens: 1K }\n    keywords:\n',
      ),
      'team.yaml',
    );
    expect(policy.signals.familyNames).toEqual(['keywords']);
    expect(policy.warnings.map((w) => w.message)).toEqual([
      'signal context:long is defined but no decision uses it',
    ]);
    policy.close();
  });

  it('reads a v0.3 file: backend_refs become pools, modelCards give context windows, MoM is an auto name', async () => {
    const policy = await compilePolicyText(
      `version: v0.3
providers:
  defaults: { model: m1 }
  models:
    - name: m1
      provider_model_id: org/m1
      backend_refs: [{ endpoint: "10.0.0.1:8000" }, { name: b, endpoint: "10.0.0.2:8000" }]
routing:
  modelCards: [{ name: m1, context_window_size: 8192 }]
  decisions:
    - name: all
      rules: { operator: AND, conditions: [] }
      modelRefs: [{ model: m1 }]
`,
      'v03.yaml',
    );
    expect(policy.source.format).toBe('v0.3');
    expect(policy.pools.map((p) => [p.name, p.maxContextTokens])).toEqual([
      ['m1_primary', 8192],
      ['m1_b', 8192],
    ]);
    expect(policy.defaultModel.providerModelId).toBe('org/m1');
    expect([...policy.autoModelNames]).toContain('MoM');
    policy.close();
  });
});
