// Paths as the upstream decodes them: what the router routes must not depend on how the client spelled the path.
import { describe, expect, it } from 'vitest';
import { looksLikeLlmPath, normalizeRequestPath } from '../../../src/request/request-path.ts';

describe('normalizeRequestPath', () => {
  it.each([
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['/v1/chat%2Fcompletions', '/v1/chat/completions'],
    ['/v1/chat%2fcompletions', '/v1/chat/completions'],
    ['/v1/chat%252Fcompletions', '/v1/chat/completions'],
    ['/v1/chat%25252Fcompletions', '/v1/chat/completions'],
    ['//v1///chat//completions', '/v1/chat/completions'],
    ['/V1/CHAT/Completions', '/v1/chat/completions'],
    ['/v1/chat/completions/', '/v1/chat/completions'],
    ['/v1/chat/completions?x=1#frag', '/v1/chat/completions'],
    ['/a/b/../../v1/./chat/completions', '/v1/chat/completions'],
    ['/../../v1/messages', '/v1/messages'],
    ['/v1/chat/completions;jsessionid=abc', '/v1/chat/completions'],
    ['/v1\\chat\\completions', '/v1/chat/completions'],
    ['/v1/chat/completions%20%09', '/v1/chat/completions'],
    ['/v1/chat/completions%00.json', '/v1/chat/completions'],
    ['/v1/%72esponses', '/v1/responses'],
    ['/v1/chat%2', '/v1/chat%2'],
    ['/v1/%E0%A4%A', '/v1/%e0%a4%a'],
    ['', '/'],
    ['*', '/*'],
    ['/V1/Chat_Completions-2', '/v1/chat_completions-2'],
    ['v1/chat/completions', '/v1/chat/completions'],
    ['/v1/chat/completions.', '/v1/chat/completions.'],
    ['/v1/chat/completions ', '/v1/chat/completions'],
  ])('%s → %s', (raw, normalized) => {
    expect(normalizeRequestPath(raw)).toBe(normalized);
  });
});

describe('looksLikeLlmPath', () => {
  it.each([
    '/v1/embeddings',
    '/v1/messages/batches',
    '/v1beta/models/gemini-1.5-pro:generatecontent',
    '/openai/deployments/gpt4/chat/completions',
    '/api/chat',
    '/api/generate',
    '/invocations',
    '/tokenize',
    '/v2/rerank',
    '/custom/mount/completions',
    '/models/m:streamgeneratecontent',
  ])('%s is an LLM-looking path', (path) => {
    expect(looksLikeLlmPath(path)).toBe(true);
  });

  it.each(['/', '/healthz', '/health', '/metrics', '/version', '/ping', '/static/app.js', '/docs'])(
    '%s is not',
    (path) => {
      expect(looksLikeLlmPath(path)).toBe(false);
    },
  );
});
