// Reading ext_proc header maps under limits.
import { describe, expect, it } from 'vitest';
import { readHeaderMap } from '../../../src/server/wire.ts';

describe('readHeaderMap', () => {
  it('prefers raw_value, falls back to value, lower-cases names and joins repeats', () => {
    const { headers } = readHeaderMap({
      headers: [
        { key: 'X-Tenant', raw_value: Buffer.from('acme') },
        { key: ':path', value: '/v1/chat/completions' },
        { key: 'accept', value: 'a' },
        { key: 'Accept', raw_value: Buffer.from('b') },
        { key: '', value: 'dropped' },
      ],
    });
    expect([...headers]).toEqual([
      ['x-tenant', 'acme'],
      [':path', '/v1/chat/completions'],
      ['accept', 'a,b'],
    ]);
  });

  it('stops reading at the header limits and says which one was passed', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({ key: 'x-same', value: String(i) }));
    const byCount = readHeaderMap({ headers: many }, { maxHeaders: 100, maxBytes: 60 * 1024 });
    expect(byCount.overLimit).toMatch(/100000 headers, more than the limit of 100/);
    const big = [
      { key: 'x-a', value: 'a'.repeat(40_000) },
      { key: 'x-b', value: 'b'.repeat(40_000) },
    ];
    const byBytes = readHeaderMap({ headers: big }, { maxHeaders: 100, maxBytes: 60 * 1024 });
    expect(byBytes.overLimit).toMatch(/more than 61440 bytes/);
    const fine = readHeaderMap({ headers: many.slice(0, 50) }, { maxHeaders: 100, maxBytes: 60 * 1024 });
    expect(fine.overLimit).toBeUndefined();
    expect(fine.headers.get('x-same')?.split(',')).toHaveLength(50);
  });
});
