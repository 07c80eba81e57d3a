// Secret redaction for the admin API's /policy: by key words, by credentials inside any string, JSON-safe copies.
import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED_VALUE, redactSecrets, redactSecretText } from '../../../src/admin/redact.ts';

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
        {
          configuration: { headers: { authorization: REDACTED_VALUE, 'x-trace': 'Bearer [REDACTED]' }, n: 1 },
        },
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

// Well-formed but fake credentials of each provider's format, built so no scanner mistakes this file for a leak.
const OPENAI = `sk-${'A1b2C3d4'.repeat(6)}`;
const OPENAI_PROJECT = `sk-proj-${'Zy9_Xw8-'.repeat(12)}`;
const ANTHROPIC = `sk-ant-api03-${'q7R8s9T0'.repeat(11)}-AA`;
const AWS = `AKIA${'ABCDEFGH23456789'}`;
const GITHUB = `ghp_${'a1B2c3D4e5'.repeat(3)}f6G7h8`;
const GITHUB_PAT = `github_pat_11ABCDEFG0${'xY'.repeat(30)}`;
const SLACK = `xoxb-${'1234567890'}-${'abcdEFGHijkl'}`;
const GOOGLE = `AIza${'Sy0123456789abcdefghijklmnopqrstu'}vw`;
const HUGGING_FACE = `hf_${'AbCdEfGhIjKlMnOpQrStUvWxYz01234567'}`;
const JWT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QiLCJpYXQiOjE3MDAwMDAwMDB9.${'c2lnbmF0dXJl'.repeat(3)}`;
const BASIC = Buffer.from('deploy:s3cr3t-pass').toString('base64');

describe('redactSecretText: credentials inside any string, only the secret part replaced', () => {
  it.each([
    ['OpenAI key', `Use ${OPENAI} for the fallback.`, 'Use [REDACTED] for the fallback.'],
    ['OpenAI project key', `key=${'x'} and ${OPENAI_PROJECT}.`, `key=x and [REDACTED].`],
    ['Anthropic key', `(${ANTHROPIC})`, '([REDACTED])'],
    ['AWS access key id', `aws ${AWS} us-east-1`, 'aws [REDACTED] us-east-1'],
    ['GitHub token', `clone with ${GITHUB}`, 'clone with [REDACTED]'],
    ['GitHub fine-grained token', `${GITHUB_PAT} expires soon`, '[REDACTED] expires soon'],
    ['Slack token', `slack: ${SLACK}`, 'slack: [REDACTED]'],
    ['Google API key', `maps ${GOOGLE}!`, 'maps [REDACTED]!'],
    ['Hugging Face token', `HF_TOKEN is ${HUGGING_FACE}`, 'HF_TOKEN is [REDACTED]'],
    ['JWT', `session ${JWT} end`, 'session [REDACTED] end'],
    [
      'Bearer token in text',
      'send Authorization: Bearer abc123def456ghi789 to the API',
      'send Authorization: Bearer [REDACTED] to the API',
    ],
    ['Basic credentials in text', `use Basic ${BASIC} for the proxy`, 'use Basic [REDACTED] for the proxy'],
    ['a whole Bearer header value', 'Bearer abc.def', 'Bearer [REDACTED]'],
    ['a whole Basic header value', `Basic ${BASIC}`, 'Basic [REDACTED]'],
  ])('%s', (_name, input, expected) => {
    expect(redactSecretText(input)).toBe(expected);
  });

  it.each([
    ['http://user:pass@vllm-l4:8000/v1', 'http://[REDACTED]@vllm-l4:8000/v1'],
    [
      'postgres://app:p@ss@db.internal:5432/router?sslmode=require',
      'postgres://[REDACTED]@db.internal:5432/router?sslmode=require',
    ],
    ['https://ghtoken@github.com/org/repo.git', 'https://[REDACTED]@github.com/org/repo.git'],
    [
      'primary http://a:b@one:1/x, fallback https://c:d@two:2/y',
      'primary http://[REDACTED]@one:1/x, fallback https://[REDACTED]@two:2/y',
    ],
    [
      'https://api.example.com/v1?api_key=abc123&model=x',
      'https://api.example.com/v1?api_key=[REDACTED]&model=x',
    ],
    [
      'host=db user=router password=hunter2 sslmode=disable',
      'host=db user=router password=[REDACTED] sslmode=disable',
    ],
  ])('URL userinfo and secret parameters: %s', (input, expected) => {
    expect(redactSecretText(input)).toBe(expected);
  });

  it.each([
    'http://vllm-l4:8000/v1/chat/completions',
    'https://example.com/users/@alice and mail bob@example.com',
    'Basic math and bearer bonds are two of the topics.',
    'You are a helpful bearer of good news.',
    'scikit-learn, sk-learn and the task-tokens count',
    'max_tokens=4096 tokens=12 model=auto',
    'Basic questions',
    'An eyJ-prefixed word is not a token',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactSecretText(text)).toBe(text);
  });

  it('redacts every string of a document, whatever its key, and is stable when applied twice', () => {
    const prompt = `You are the billing bot. Call https://svc:${'pw'}@billing.internal/api with key ${OPENAI}.`;
    const once = redactSecrets({ description: prompt, tags: [`token ${GITHUB}`] });
    expect(once).toEqual({
      description:
        'You are the billing bot. Call https://[REDACTED]@billing.internal/api with key [REDACTED].',
      tags: ['token [REDACTED]'],
    });
    expect(redactSecrets(once)).toEqual(once);
  });
});
