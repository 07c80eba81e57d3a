// Every stable error code is documented with its HTTP status in docs/errors.md, and nothing else is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.ts';

const table = readFileSync('docs/errors.md', 'utf8')
  .split('\n')
  .map((line) => /^\| `([a-z_]+)` \| (\d{3}|—) \|/.exec(line))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => [m[1], m[2] === '—' ? undefined : Number(m[2])] as const);

describe('docs/errors.md', () => {
  it('documents exactly the codes of src/errors.ts with their HTTP status', () => {
    expect(Object.fromEntries(table)).toStrictEqual({ ...ERROR_CODES });
  });
});
