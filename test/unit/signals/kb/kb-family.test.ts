// The `kb` family in a policy: a knowledge base generated at test time (a labels manifest in a temporary folder),
// rules by label and group, its metric read by a projection, and the errors a broken knowledge base gives.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../../src/cli/explain.ts';
import { PolicyError } from '../../../../src/errors.ts';
import { compilePolicyText } from '../../../../src/policy/load-policy.ts';
import type { Policy } from '../../../../src/policy/policy.ts';
import { chatBody } from '../../../helpers/request-context.ts';
import { writeTinyEmbedding } from '../../training/embedding/tiny-embedding.ts';

const LABELS = {
  algebra: [
    'Solve the quadratic equation x^2 - 5x + 6 = 0 for x.',
    'Find the derivative of f(x) = 3x^3 + 2x with respect to x.',
    'What is the integral of sin(x) from 0 to pi?',
    'Compute the eigenvalues of the matrix [[2, 0], [0, 3]].',
  ],
  contracts: [
    'Is a promise without consideration an enforceable contract under common law?',
    'What remedies are available for breach of contract by the seller?',
    'Under what circumstances can a court void a contract for duress?',
    'Explain the parol evidence rule in contract disputes.',
  ],
  medicine: [
    'What are the common symptoms of type 2 diabetes in adults?',
    'Which drug class is first-line treatment for high blood pressure?',
    'How does the immune system respond to a viral infection?',
    'What is the recommended dose of ibuprofen for an adult with a fever?',
  ],
};

let root: string;
const opened: Policy[] = [];

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'kb-family-'));
  const kbDir = path.join(root, 'knowledge_bases', 'exam');
  mkdirSync(kbDir, { recursive: true });
  const labels = Object.fromEntries(
    Object.entries(LABELS).map(([k, exemplars]) => [k, { description: k, exemplars }]),
  );
  writeFileSync(path.join(kbDir, 'labels.json'), JSON.stringify({ version: 1, labels }));
  mkdirSync(path.join(root, 'policies', 'nested'), { recursive: true });
  writeTinyEmbedding(path.join(root, 'policies', 'nested'), 'tiny-embedding');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  for (const policy of opened.splice(0)) policy.close();
});

const KB = `
knowledge_bases:
  - name: exam_kb
    source: { path: knowledge_bases/exam/, manifest: labels.json }
    threshold: 0.3
    label_thresholds: { medicine: 0.99 }
    groups:
      stem: [algebra]
      professional: [contracts, medicine]
    metrics:
      - { name: stem_vs_professional, type: group_margin, positive_group: stem, negative_group: professional }
`;

function policyText(signals: string, decisions: string, extra = ''): string {
  return `version: v1
default_model: general
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: general, pools: [p] }
  - { name: mathematician, pools: [p] }
  - { name: lawyer, pools: [p] }
  - { name: doctor, pools: [p] }
${KB}
routing:
  signals:
    kb:
${signals}
${extra}
  decisions:
${decisions}
`;
}

const RULES = `      - { name: math, kb: exam_kb, target: { kind: label, value: algebra }, match: best }
      - { name: law, kb: exam_kb, target: { kind: label, value: contracts }, match: best }
      - { name: professional, kb: exam_kb, target: { kind: group, value: professional }, match: best }
      - { name: medicine_strict, kb: exam_kb, target: { kind: label, value: medicine }, match: threshold }`;

const DECISIONS = `    - { name: math_route, priority: 30, rules: { type: kb, name: math }, modelRefs: [{ model: mathematician }] }
    - { name: law_route, priority: 20, rules: { type: kb, name: law }, modelRefs: [{ model: lawyer }] }
    - { name: medicine_route, priority: 25, rules: { type: kb, name: medicine_strict }, modelRefs: [{ model: doctor }] }
    - { name: professional_route, priority: 10, rules: { type: kb, name: professional }, modelRefs: [{ model: doctor }] }`;

async function compile(text: string, dir = 'policies/nested'): Promise<Policy> {
  const policy = await compilePolicyText(text, path.join(root, dir, 'policy.yaml'));
  opened.push(policy);
  return policy;
}

async function route(policy: Policy, text: string) {
  const explanation = await explainRequest(policy, 'policy.yaml', chatBody(text), new Map());
  const kb = explanation.signals.find((s) => s.family === 'kb');
  return {
    decision: explanation.winner?.name,
    kb: new Map((kb?.matches ?? []).map((m) => [m.name, m.confidence])),
  };
}

describe('kb rules in a policy', () => {
  it('finds the manifest in a directory above the policy file and routes by the best label', async () => {
    const policy = await compile(policyText(RULES, DECISIONS));
    expect((await route(policy, 'Solve 2x + 7 = 15 and find the derivative of x^2.')).decision).toBe(
      'math_route',
    );
    expect(
      (await route(policy, 'Can the buyer sue for breach of contract if the seller never delivered?'))
        .decision,
    ).toBe('law_route');
  });

  it('matches a group when its best label is the best label and reaches its threshold', async () => {
    const question = 'What are the side effects of taking too much ibuprofen for a fever?';
    // medicine's own threshold (0.99): the best label is not confident, so neither rule matches.
    const strict = await route(await compile(policyText(RULES, DECISIONS)), question);
    expect(strict.kb.has('professional')).toBe(false);
    expect(strict.kb.has('medicine_strict')).toBe(false);
    // At a threshold its best label reaches (0.2), the group matches with the group score as confidence.
    const relaxed = await route(
      await compile(
        policyText(RULES, DECISIONS).replace(
          '    threshold: 0.3\n    label_thresholds: { medicine: 0.99 }\n',
          '    threshold: 0.2\n',
        ),
      ),
      question,
    );
    expect(relaxed.kb.get('professional')).toBeGreaterThan(0);
    expect(relaxed.kb.has('math')).toBe(false);
    expect(relaxed.decision).toBe('medicine_route');
  });

  it('reports group_margin metrics that projections read through kb_metric inputs', async () => {
    const projections = `  projections:
    scores:
      - name: stem_pressure
        method: weighted_sum
        inputs:
          - { type: kb_metric, kb: exam_kb, metric: stem_vs_professional, weight: 1, value_source: score }
    mappings:
      - name: stem_band
        source: stem_pressure
        method: threshold_bands
        outputs:
          - { name: stem_leaning, gt: 0 }
          - { name: professional_leaning, lte: 0 }`;
    const decisions = `    - { name: stem, priority: 20, rules: { type: projection, name: stem_leaning }, modelRefs: [{ model: mathematician }] }
    - { name: professional, priority: 10, rules: { type: projection, name: professional_leaning }, modelRefs: [{ model: lawyer }] }`;
    const policy = await compile(policyText(RULES, decisions, projections));
    expect(policy.warnings.map((w) => w.message).filter((m) => m.includes('kb_metric'))).toEqual([]);
    expect(
      (await route(policy, 'Integrate x^2 from 0 to 3 and solve the resulting equation.')).decision,
    ).toBe('stem');
    expect((await route(policy, 'Is an oral contract for the sale of land enforceable?')).decision).toBe(
      'professional',
    );
  });

  it("uses the policy's own definition of a built-in name over the built-in one", async () => {
    const text = policyText(
      '      - { name: math, kb: privacy_kb, target: { kind: label, value: algebra }, match: best }',
      '    - { name: math_route, rules: { type: kb, name: math }, modelRefs: [{ model: mathematician }] }',
    ).replace('  - name: exam_kb\n', '  - name: privacy_kb\n');
    const policy = await compile(text);
    expect((await route(policy, 'Solve 2x + 7 = 15 and find the derivative of x^2.')).decision).toBe(
      'math_route',
    );
  });

  it('matches nothing for a request without user text', async () => {
    const policy = await compile(policyText(RULES, DECISIONS));
    expect((await route(policy, '   ')).decision).toBeUndefined();
  });
});

describe('a knowledge base with its own embedding model (extension)', () => {
  const THRESHOLD_RULE =
    '      - { name: algebra_any, kb: exam_kb, target: { kind: label, value: algebra }, match: threshold }';
  const DECISION =
    '    - { name: d, rules: { type: kb, name: algebra_any }, modelRefs: [{ model: mathematician }] }';
  const QUESTION = 'Solve the polynomial equation and prove the theorem about its derivative.';

  it('embeds with `model` (relative to the policy) and compares raw cosines unless a floor is set', async () => {
    const own = await compile(
      policyText(THRESHOLD_RULE, DECISION).replace(
        'threshold: 0.3\n',
        'threshold: 0.3\n    model: tiny-embedding\n',
      ),
    );
    expect((await route(own, QUESTION)).kb.get('algebra_any')).toBeGreaterThanOrEqual(0.3);
    const strict = await compile(
      policyText(THRESHOLD_RULE, DECISION).replace(
        'threshold: 0.3\n',
        'threshold: 0.3\n    model: tiny-embedding\n    similarity_floor: 0.999\n',
      ),
    );
    expect((await route(strict, QUESTION)).kb.has('algebra_any')).toBe(false);
  });

  it('reports a missing model file at the rules of the knowledge base', async () => {
    try {
      await compile(
        policyText(THRESHOLD_RULE, DECISION).replace(
          'threshold: 0.3\n',
          'threshold: 0.3\n    model: no-such-model\n',
        ),
      );
      throw new Error('the policy loaded');
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      expect(error.issues.map((i) => i.message).join('\n')).toMatch(/no-such-model/);
    }
  });
});

describe('broken knowledge bases are policy errors', () => {
  async function errorsOf(text: string, dir?: string): Promise<string[]> {
    try {
      await compile(text, dir);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      return error.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);
    }
    throw new Error('the policy loaded');
  }

  it('refuses a malformed or duplicate knowledge base definition at its path', async () => {
    const errors = await errorsOf(
      policyText(RULES, DECISIONS)
        .replace('threshold: 0.3', 'threshold: 1.5')
        .replace(
          'knowledge_bases:\n',
          'knowledge_bases:\n  - { name: exam_kb, source: { path: x }, threshold: 0.5 }\n',
        ),
    );
    expect(errors.sort()).toEqual([
      "knowledge_bases[1].name: duplicate knowledge base name 'exam_kb'",
      'knowledge_bases[1].threshold: must be at most 1',
    ]);
  });

  it('names every path tried when the manifest is missing', async () => {
    const errors = await errorsOf(
      policyText(RULES, DECISIONS).replace('knowledge_bases/exam/', 'knowledge_bases/gone/'),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /routing\.signals\.kb\[0\]\.kb: knowledge base 'exam_kb': labels manifest not found; tried /,
    );
    expect(errors[0]).toContain(
      path.join(root, 'policies', 'nested', 'knowledge_bases', 'gone', 'labels.json'),
    );
    expect(errors[0]).toContain(path.join(root, 'knowledge_bases', 'gone', 'labels.json'));
  });

  it('refuses a target that is no label or group of the knowledge base', async () => {
    const rules = `      - { name: a, kb: exam_kb, target: { kind: label, value: astronomy }, match: best }
      - { name: b, kb: exam_kb, target: { kind: group, value: humanities } }`;
    const decisions = `    - { name: d, rules: { operator: OR, conditions: [{ type: kb, name: a }, { type: kb, name: b }] }, modelRefs: [{ model: general }] }`;
    const errors = await errorsOf(policyText(rules, decisions));
    expect(errors).toEqual([
      expect.stringMatching(/kb\[0\]\.target\.value: 'astronomy' is not a label of knowledge base 'exam_kb'/),
      expect.stringMatching(
        /kb\[1\]\.target\.value: 'humanities' is not a group of knowledge base 'exam_kb'/,
      ),
    ]);
  });

  it('refuses an undefined knowledge base, naming the built-in ones', async () => {
    const rules = '      - { name: a, kb: nowhere_kb, target: { kind: label, value: x }, match: best }';
    const decisions = '    - { name: d, rules: { type: kb, name: a }, modelRefs: [{ model: general }] }';
    const policyDir = 'policies/nested';
    try {
      await compile(policyText(rules, decisions), policyDir);
      throw new Error('the policy loaded');
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      expect(error.issues[0]?.message).toBe("knowledge base 'nowhere_kb' is not defined");
      expect(error.issues[0]?.hint).toMatch(/privacy_kb, mmlu_kb/);
    }
  });

  it('refuses groups, thresholds and metrics that name nothing', async () => {
    const text = policyText(RULES, DECISIONS)
      .replace('stem: [algebra]', 'stem: [algebra, geometry]')
      .replace('{ medicine: 0.99 }', '{ medicine: 0.99, poetry: 0.5 }')
      .replace('negative_group: professional }', 'negative_group: arts }');
    const errors = await errorsOf(text);
    expect(errors).toEqual([
      expect.stringMatching(/group 'stem' lists 'geometry', which is no label of the manifest/),
      expect.stringMatching(/label_thresholds names 'poetry', which is no label of the manifest/),
      expect.stringMatching(/metric 'stem_vs_professional' reads group 'arts', which is not declared/),
    ]);
  });
});
