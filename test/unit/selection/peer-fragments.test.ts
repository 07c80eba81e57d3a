// The peer's own selection-algorithm fragments (../shared/vsr-config/fragments/algorithm/selection): each one a
// decision can carry either loads as written or is refused at load with the reason, never replaced in silence.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';

const FRAGMENTS = path.resolve('../shared/vsr-config/fragments/algorithm/selection');

/** Fragments whose algorithm needs something an ext_proc router without extra models cannot have. */
const REFUSED: Readonly<Record<string, RegExp>> = {};

function policyWith(algorithm: unknown): string {
  return `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: small, pools: [p], quality: 0.5, pricing: { prompt_per_1m: 0.05, completion_per_1m: 0.2 } }
  - { name: large, pools: [p], quality: 0.9, pricing: { prompt_per_1m: 0.6, completion_per_1m: 2.4 } }
routing:
  decisions:
    - name: peer-fragment
      modelRefs: [{ model: small }, { model: large }]
      algorithm: ${JSON.stringify(algorithm)}
`;
}

const fragments = readdirSync(FRAGMENTS)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => ({
    file,
    doc: YAML.parse(readFileSync(path.join(FRAGMENTS, file), 'utf8')) as Record<string, unknown>,
  }))
  .filter(({ doc }) => doc.algorithm !== undefined);

describe('the peer selection fragments', () => {
  it('are there to read', () => {
    expect(fragments.length).toBeGreaterThanOrEqual(10);
  });

  it.each(fragments.map(({ file, doc }) => [file, doc.algorithm] as const))('%s', async (file, algorithm) => {
    const compiling = compilePolicyText(policyWith(algorithm), file);
    const refused = REFUSED[file];
    if (refused) {
      await expect(compiling).rejects.toThrow(refused);
      return;
    }
    const policy = await compiling;
    try {
      const type = (algorithm as { type: string }).type;
      expect(policy.decisions[0]?.selector.algorithm).toBe(type);
    } finally {
      policy.close();
    }
  });
});
