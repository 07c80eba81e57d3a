// The cache keys stay the ones replicas already wrote to a shared state store: SHA-256 (base64url) of the
// canonical JSON (members in key order, undefined ones left out) of the bucket's parts, then of the bucket and the
// last turn's content, checked against that definition written the plain way on random request bodies.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { responseCacheConfigSchema } from '../../../src/plugins/response-cache/cache-config.ts';
import { cacheKeyOf } from '../../../src/plugins/response-cache/cache-key.ts';
import { parseOpenAIRequest } from '../../../src/request/openai-request.ts';
import { buildRequestContext } from '../../../src/request/request-context.ts';
import { seededRandom } from '../../../src/seeded-random.ts';

const DELIVERY_ONLY = new Set(['messages', 'stream', 'stream_options', 'user', 'metadata', 'store']);

function referenceCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

function referenceKey(body: Record<string, unknown>, scope: string, decision: string) {
  const messages = body.messages as Record<string, unknown>[];
  const earlier = messages.slice(0, -1);
  const { content, ...lastRest } = messages[messages.length - 1] as Record<string, unknown>;
  const answerShaping = Object.fromEntries(Object.entries(body).filter(([k]) => !DELIVERY_ONLY.has(k)));
  const bucket = sha256(referenceCanonical({ scope, decision, earlier, answerShaping, lastRest }));
  return { bucket, exact: sha256(`${bucket}\n${referenceCanonical(content)}`) };
}

const KEYS = ['a', 'B', 'é', 'z1', '10', '2', 'ü', '😀', 'tool_choice', 'x"y', 'temperature', '__proto__'];
const TEXTS = [
  '',
  'plain',
  'quote " and \\ back',
  'line\nbreak\ttab\u0001',
  'ünïcödé 😀 中文',
  '\ud800 lone',
];

function randomValue(random: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const kind = Math.floor(random() * (depth > 2 ? 5 : 7));
  switch (kind) {
    case 0:
      return pick(TEXTS);
    case 1:
      return pick([0, -1.5, 1e21, 2.5e-7, 42]);
    case 2:
      return pick([true, false]);
    case 3:
      return null;
    case 4:
      return `${pick(TEXTS)}${Math.floor(random() * 1000)}`;
    case 5:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default:
      return randomObject(random, depth + 1);
  }
}

function randomObject(random: () => number, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const count = Math.floor(random() * 5);
  for (let i = 0; i < count; i++)
    object[KEYS[Math.floor(random() * KEYS.length)] as string] = randomValue(random, depth);
  return object;
}

function randomText(random: () => number): string {
  return `${TEXTS[Math.floor(random() * TEXTS.length)]}${Math.floor(random() * 1000)}`;
}

/** A chat completion body as a client could send it, parsed from its JSON text as the router parses it. */
function randomBody(random: () => number): string {
  const leading = Array.from({ length: Math.floor(random() * 3) }, () => ({
    role: random() < 0.5 ? 'system' : 'developer',
    ...randomObject(random, 2),
    content: randomText(random),
  }));
  const content =
    random() < 0.6
      ? randomText(random)
      : random() < 0.5
        ? [
            { type: 'text', text: randomText(random) },
            { type: 'text', text: randomText(random), ...randomObject(random, 3) },
          ]
        : [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ];
  const last = { ...randomObject(random, 2), role: 'user', content };
  return JSON.stringify({
    ...randomObject(random, 1),
    model: 'auto',
    messages: [...leading, last],
    ...(random() < 0.3 && { stream: true, stream_options: { include_usage: true } }),
    ...(random() < 0.3 && { metadata: { trace: randomValue(random, 2) } }),
  });
}

describe('response cache keys', () => {
  it('are those of the canonical JSON definition on random bodies, scopes and decisions', () => {
    const random = seededRandom(15);
    const config = responseCacheConfigSchema.parse({ scope: 'tenant', multi_turn: true });
    let keyed = 0;
    for (let i = 0; i < 500; i++) {
      const text = randomBody(random);
      const body = JSON.parse(text) as Record<string, unknown>;
      const tenant = `tenant-${i % 7}`;
      const decision = i % 2 === 0 ? 'math' : 'chat "casual"';
      const context = buildRequestContext({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: new Map([['x-tenant-id', tenant]]),
        request: parseOpenAIRequest(JSON.parse(text), '/v1/chat/completions'),
        identity: undefined,
      });
      const key = cacheKeyOf(context, decision, config);
      if (body.n !== undefined && body.n !== 1) {
        expect(key).toBeUndefined();
        continue;
      }
      expect(key).toMatchObject(referenceKey(body, `tenant:${tenant}`, decision));
      keyed++;
    }
    expect(keyed).toBeGreaterThan(400);
  });
});
