// Complexity `composer` (vLLM Semantic Router): a complexity rule reports its level only when its composer rule
// over the other signals holds; composers load from the peer's files and report unknown signals where they are.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { contextFor } from '../../helpers/request-context.ts';

const HEADER = `
version: v1
default_model: m
pools: [{ name: p, max_context_tokens: 32K }]
models: [{ name: m, pools: [p] }]
`;

const POLICY = `${HEADER}
routing:
  signals:
    keywords:
      - { name: code_markers, keywords: [python, function, code] }
    complexity:
      - name: code_task
        threshold: 0.05
        composer: { operator: AND, conditions: [{ type: keyword, name: code_markers }] }
        hard: { candidates: [design a distributed system with failure handling, debug a race condition in production] }
        easy: { candidates: [explain what this function does, write a small helper] }
      - name: general
        threshold: 0.05
        hard: { candidates: [design a distributed system with failure handling] }
        easy: { candidates: [write a small helper] }
  decisions:
    - name: hard_code
      priority: 10
      rules: { operator: OR, conditions: [{ type: complexity, name: code_task:hard }] }
      modelRefs: [{ model: m }]
    - name: any_general
      priority: 5
      rules: { operator: OR, conditions: [{ type: complexity, name: general:hard }, { type: complexity, name: general:easy }, { type: complexity, name: general:medium }] }
      modelRefs: [{ model: m }]
`;

describe('complexity composer', () => {
  let policy: Policy;
  beforeAll(async () => {
    policy = await compilePolicyText(POLICY, 'composer.yaml');
  });
  afterAll(() => policy.close());

  async function complexityKeys(prompt: string): Promise<string[]> {
    const report = await policy.signals.evaluate(contextFor(prompt));
    return [...report.matches.keys()].filter((key) => key.startsWith('complexity:'));
  }

  it('runs the families the composer reads even when no decision references them', () => {
    expect(policy.signals.familyNames).toContain('keywords');
  });

  it('reports the level when the composer holds', async () => {
    const keys = await complexityKeys(
      'write python code to design a distributed system with failure handling',
    );
    expect(keys.some((key) => key.startsWith('complexity:code_task:'))).toBe(true);
  });

  it('drops every level of the rule when the composer does not hold', async () => {
    const keys = await complexityKeys('design a distributed system with failure handling');
    expect(keys.some((key) => key.startsWith('complexity:code_task:'))).toBe(false);
    // A rule without a composer is unaffected.
    expect(keys.some((key) => key.startsWith('complexity:general:'))).toBe(true);
  });

  it('reports a composer leaf naming an undefined signal at its path', async () => {
    const broken = POLICY.replace('name: code_markers }] }', 'name: code_marker }] }');
    const error = await compilePolicyText(broken, 'broken.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toMatch(
      /routing\.signals\.complexity\[0\]\.composer\.conditions\[0\]\.name: decision references keyword signal 'code_marker'/,
    );
  });
});

it("the peer's complexity fragment loads", async () => {
  const file = path.resolve('../shared/vsr-config/fragments/signal/complexity/escalation.yaml');
  const fragment = YAML.parse(readFileSync(file, 'utf8')) as {
    routing: { signals: { complexity: { name: string }[] } };
  };
  const rules = fragment.routing.signals.complexity;
  const policy = await compilePolicyText(
    `${HEADER}\n${YAML.stringify({
      routing: {
        signals: { complexity: rules },
        decisions: [
          {
            name: 'escalate',
            rules: { operator: 'OR', conditions: [{ type: 'complexity', name: `${rules[0]?.name}:hard` }] },
            modelRefs: [{ model: 'm' }],
          },
        ],
      },
    })}`,
    'escalation.yaml',
  );
  policy.close();
  expect(rules.length).toBeGreaterThan(0);
});
