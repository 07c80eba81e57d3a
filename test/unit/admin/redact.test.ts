// Secret redaction for the admin API's /policy: by key words, by credential-looking values, JSON-safe copies.
import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED_VALUE, redactSecrets } from '../../../src/admin/redact.ts';

describe('isSecretKey', () => {
  it.each([
    'api_key',
    'apiKey',
    'x-api-key',
    'API-KEY',
    'client_secret',
    'secretName',
    'authorization',
    'Proxy-Authorization',
    'token',
    'auth_token',
    'refreshToken',
    'password',
    'db_password',
    'credentials',
    'aws_access_key_id',
    'private_key',
    'cookie',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['max_context_tokens', 'min_tokens', 'tokens', 'name', 'keywords', 'key', 'author', 'model'])(
    '%s is not secret',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );
});

describe('redactSecrets', () => {
  it('replaces secret values at any depth and keeps everything else', () => {
    const input = {
      pools: [{ name: 'l4', max_context_tokens: 32000, labels: { api_key: 'sk-1', team: 'ml' } }],
      plugins: [{ configuration: { headers: { authorization: 'x', 'x-trace': 'Bearer abc.def' }, n: 1 } }],
      nested: { credentials: { user: 'u', pass: 'p' } },
    };
    expect(redactSecrets(input)).toEqual({
      pools: [{ name: 'l4', max_context_tokens: 32000, labels: { api_key: REDACTED_VALUE, team: 'ml' } }],
      plugins: [
        { configuration: { headers: { authorization: REDACTED_VALUE, 'x-trace': REDACTED_VALUE }, n: 1 } },
      ],
      nested: { credentials: REDACTED_VALUE },
    });
    expect(input.pools[0]?.labels.api_key).toBe('sk-1');
  });

  it('turns maps, sets, dates, regexes, bigints and cycles into JSON-safe values', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const output = redactSecrets({
      map: new Map<string, unknown>([
        ['token', 't'],
        ['a', 1],
      ]),
      set: new Set(['x']),
      when: new Date('2026-01-02T03:04:05.000Z'),
      pattern: /ab+c/,
      big: 10n,
      inf: Number.POSITIVE_INFINITY,
      fn: () => 1,
      nothing: null,
      cyclic,
    });
    expect(output).toEqual({
      map: { token: REDACTED_VALUE, a: 1 },
      set: ['x'],
      when: '2026-01-02T03:04:05.000Z',
      pattern: 'ab+c',
      big: '10',
      inf: 'Infinity',
      nothing: null,
      cyclic: { name: 'loop', self: '[Circular]' },
    });
    expect(() => JSON.stringify(output)).not.toThrow();
  });

  it('keeps a null or absent secret visible as unset', () => {
    expect(redactSecrets({ api_key: null })).toEqual({ api_key: null });
  });
});
