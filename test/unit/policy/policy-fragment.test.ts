// `semantic-router validate` on a fragment of the peer's config: recognised, checked inside the minimal base (or
// merged into a real policy with --base), reported as a fragment, errors on the fragment's own lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCommand } from '../../../src/cli/validate.ts';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { isPolicyFragment } from '../../../src/policy/fragment.ts';
import { loadPolicyOrFragment } from '../../../src/policy/load-fragment.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'policy-fragment-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function validate(file: string, options: { base?: string; allowUnsupported?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await validateCommand(file, { out: (t) => out.push(t), err: (t) => err.push(t) }, options);
  return { code, out: out.join(''), err: err.join('') };
}

async function errorsOf(file: string, base?: string): Promise<PolicyIssue[]> {
  try {
    const { policy } = await loadPolicyOrFragment(file, base === undefined ? {} : { base });
    policy.close();
  } catch (error) {
    if (error instanceof PolicyError) return error.issues.filter((i) => i.severity === 'error');
    throw error;
  }
  return [];
}

const BASE_POLICY = `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: small, pools: [p] }
  - { name: large, pools: [p] }
routing:
  signals:
    keywords:
      - { name: urgent, keywords: [urgent, asap] }
  decisions:
    - name: urgent_route
      priority: 10
      rules: { operator: AND, conditions: [{ type: keyword, name: urgent }] }
      modelRefs: [{ model: large }]
`;

describe('recognising a fragment', () => {
  it('takes a file without version or models holding signals, decisions, a plugin or an algorithm', () => {
    expect(isPolicyFragment({ routing: { signals: { keywords: [] } } })).toBe(true);
    expect(isPolicyFragment({ routing: { decisions: [] } })).toBe(true);
    expect(isPolicyFragment({ plugin: { type: 'fast_response' } })).toBe(true);
    expect(isPolicyFragment({ algorithm: { type: 'static' }, global: {} })).toBe(true);
    expect(isPolicyFragment({ version: 'v1', routing: { decisions: [] } })).toBe(false);
    expect(isPolicyFragment({ providers: { models: [] }, routing: { decisions: [] } })).toBe(false);
    expect(isPolicyFragment({ global: {} })).toBe(false);
  });

  it('leaves whole policies to the policy loader', async () => {
    const result = await validate(write('whole.yaml', BASE_POLICY));
    expect(result.code).toBe(0);
    expect(result.out).toContain('valid (v1): 2 models, 1 pools, 1 decisions');
    expect(result.out).not.toContain('fragment OK');
  });
});

describe('validate FRAGMENT in the minimal base', () => {
  it('reports a signal fragment as a fragment with its rules', async () => {
    const file = write(
      'signals.yaml',
      `routing:
  signals:
    keywords:
      - { name: code, keywords: [python, function] }
      - { name: urgent, keywords: [urgent] }
`,
    );
    const result = await validate(file);
    expect(result.code).toBe(0);
    expect(result.out).toContain('fragment OK: 2 signals (keywords: 2), 0 decisions, 0 plugins');
    // Every signal is referenced by the base's decision, so none is reported as unused.
    expect(result.err).not.toContain('no decision uses it');
  });

  it('checks a decision fragment against built-in domains and placeholder rules, and names them', async () => {
    const file = write(
      'decision.yaml',
      `routing:
  decisions:
    - name: urgent_business
      priority: 140
      rules:
        operator: AND
        conditions:
          - { type: domain, name: business }
          - { type: keyword, name: urgent_keywords }
      modelRefs: [{ model: "qwen2.5:3b" }]
`,
    );
    const result = await validate(file);
    expect(result.code).toBe(0);
    expect(result.out).toContain('1 decision');
    expect(result.out).toContain('built-in signals domain:business');
    expect(result.out).toContain('placeholder signals keyword:urgent_keywords');
  });

  it('does not warn about what the base added, only about the fragment', async () => {
    const file = write(
      'complexity-leaf.yaml',
      `routing:
  decisions:
    - name: hard_only
      rules: { operator: AND, conditions: [{ type: complexity, name: "needs_reasoning:hard" }] }
      modelRefs: [{ model: m }]
    - name: hard_only_copy
      rules: { operator: AND, conditions: [{ type: complexity, name: "needs_reasoning:hard" }] }
      modelRefs: [{ model: m }]
`,
    );
    const result = await validate(file);
    expect(result.code).toBe(0);
    // The placeholder complexity rule's easy and medium levels are unused: the base's business, not the fragment's.
    expect(result.err).not.toContain('no decision uses it');
    // The second decision can never win over the first: a real finding about the fragment, on its line.
    expect(result.err).toMatch(
      /complexity-leaf\.yaml:6 at routing\.decisions\[1\]: decision 'hard_only_copy' can never win/,
    );
    expect(result.out).toContain('1 warning');
  });

  it('rejects a domain that the built-in classifier does not know, on the fragment line', async () => {
    const file = write(
      'bad-domain.yaml',
      `routing:
  decisions:
    - name: astrology_route
      rules:
        operator: AND
        conditions:
          - type: domain
            name: astrology
      modelRefs: [{ model: m }]
`,
    );
    const errors = await errorsOf(file);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/astrology/);
  });

  it('names the fragment line of a broken rule operator', async () => {
    const file = write(
      'bad-operator.yaml',
      `routing:
  decisions:
    - name: broken
      rules:
        operator: XOR
        conditions:
          - { type: keyword, name: k }
      modelRefs: [{ model: m }]
`,
    );
    const errors = await errorsOf(file);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.file).toBe(file);
    expect(errors[0]?.line).toBe(5);
  });

  it('attaches a plugin fragment to a catch-all decision and reports an unknown plugin on its line', async () => {
    const ok = await validate(
      write('plugin.yaml', 'plugin:\n  type: fast_response\n  configuration:\n    message: busy\n'),
    );
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('1 plugin (fast_response)');

    const file = write('bad-plugin.yaml', '# a comment\nplugin:\n  type: teleport\n  configuration: {}\n');
    const errors = await errorsOf(file);
    expect(errors.map((e) => e.message).join('\n')).toContain("'teleport'");
    expect(errors[0]?.line).toBe(3);
  });

  it('routes an algorithm fragment to the models it names and checks its settings', async () => {
    const ok = await validate(write('algorithm.yaml', 'algorithm:\n  type: static\n'));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('algorithm static');

    const file = write(
      'bad-algorithm.yaml',
      'algorithm:\n  type: latency_aware\n  latency_aware:\n    tpot_percentile: 900\n',
    );
    const errors = await errorsOf(file);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.file).toBe(file);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('says "invalid fragment" and exits 1 for a broken fragment', async () => {
    const result = await validate(
      write('broken-signal.yaml', 'routing:\n  signals:\n    keywords:\n      - { name: k }\n'),
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/broken-signal\.yaml: invalid fragment: 1 error\(s\)/);
  });
});

describe('validate --base POLICY FRAGMENT', () => {
  it('resolves a decision fragment against the base policy’s signals and models', async () => {
    const base = write('base.yaml', BASE_POLICY);
    const good = write(
      'uses-base.yaml',
      `routing:
  decisions:
    - name: urgent_small
      priority: 5
      rules: { operator: NOT, conditions: [{ type: keyword, name: urgent }] }
      modelRefs: [{ model: small }]
`,
    );
    const result = await validate(good, { base });
    expect(result.code).toBe(0);
    expect(result.out).toContain(`merged into ${base}`);

    const missing = write(
      'misses-base.yaml',
      `routing:
  decisions:
    - name: needs_other
      rules: { operator: AND, conditions: [{ type: keyword, name: not_in_base }] }
      modelRefs: [{ model: small }]
`,
    );
    const errors = await errorsOf(missing, base);
    expect(errors.map((e) => e.message).join('\n')).toContain("'not_in_base'");
    expect(errors[0]?.file).toBe(missing);
    expect(errors[0]?.line).toBe(4);
  });

  it('reports a name the fragment and the base both define', async () => {
    const base = write('base2.yaml', BASE_POLICY);
    const clash = write(
      'clash.yaml',
      'routing:\n  signals:\n    keywords:\n      - { name: urgent, keywords: [now] }\n',
    );
    const errors = await errorsOf(clash, base);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/urgent/);
  });

  it('refuses a whole policy as the fragment', async () => {
    const base = write('base3.yaml', BASE_POLICY);
    const errors = await errorsOf(write('whole2.yaml', BASE_POLICY), base);
    expect(errors[0]?.message).toContain('not a fragment');
  });
});
