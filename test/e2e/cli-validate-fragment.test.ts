// `semantic-router validate` on the peer's fragments, as a user runs it: alone, and merged into a policy (--base).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/router-process.ts';

const FRAGMENTS = path.resolve('../shared/vsr-config/fragments');

describe('semantic-router validate FRAGMENT', () => {
  it('checks a decision fragment in the minimal base and says it is a fragment', async () => {
    const file = path.join(FRAGMENTS, 'decision/and/urgent-business.yaml');
    const result = await runCli(['validate', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${file}: fragment OK: 0 signals, 1 decision, 0 plugins`);
    expect(result.stdout).toContain('built-in signals domain:business');
  });

  it('merges a fragment into --base and reports what the base lacks on the fragment line', async () => {
    const file = path.join(FRAGMENTS, 'decision/and/urgent-business.yaml');
    const result = await runCli(['validate', '--base', 'policies/default.yaml', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`${file.replaceAll('.', '\\.')}:\\d+ at routing\\.decisions\\[\\d+\\]`),
    );
    expect(result.stderr).toContain('invalid fragment');
    expect(result.stderr).toContain('(merged into policies/default.yaml)');
  });
});
