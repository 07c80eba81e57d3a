// Breaker settings the pool state could not run with are policy errors at load, never a crash when serving starts.
import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { PoolStateRegistry } from '../../../src/pools/pool-state.ts';

const policyWith = (breaker: string) => `version: v1
default_model: small
pools: [{ name: l4-pool, max_context_tokens: 32K }]
models: [{ name: small, pools: [l4-pool] }]
breaker: ${breaker}
`;

async function issuesOf(yaml: string): Promise<PolicyIssue[]> {
  try {
    (await compilePolicyText(yaml, 'team.yaml')).close();
    return [];
  } catch (error) {
    if (error instanceof PolicyError) return [...error.issues];
    throw error;
  }
}

describe('breaker settings', () => {
  it.each([
    ['{ error_ratio: 1 }', 'breaker.error_ratio', /below 1/],
    ['{ min_requests: 51 }', 'breaker.min_requests', /must not exceed the 50-outcome window/],
    ['{ max_open_seconds: 10 }', 'breaker.max_open_seconds', /at least open_seconds \(30, the default\)/],
    [
      '{ open_seconds: 60, max_open_seconds: 30 }',
      'breaker.max_open_seconds',
      /at least open_seconds \(60\)/,
    ],
  ])('%s is refused at %s', async (breaker, path, message) => {
    const issues = await issuesOf(policyWith(breaker));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.message).toMatch(message);
  });

  it.each([
    '{ error_ratio: 0.99, min_requests: 50 }',
    '{ max_open_seconds: 30 }',
    '{ open_seconds: 5, max_open_seconds: 10, consecutive_failures: 1 }',
  ])('%s loads, and the pool state takes it', async (breaker) => {
    const policy = await compilePolicyText(policyWith(breaker), 'team.yaml');
    try {
      expect(() => new PoolStateRegistry().configure(policy.breaker)).not.toThrow();
    } finally {
      policy.close();
    }
  });
});
