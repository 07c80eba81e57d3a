// Large request bodies decoded on a worker thread: the router sees exactly what in-loop decoding gives (value, token
// estimate, errors), and a worker that dies or cannot start leaves the body to the in-loop decoder.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors.ts';
import { parseRequest, parseRequestBounded, type RouteInput } from '../../../src/pipeline.ts';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import { rewriteTopLevel } from '../../../src/request/body-rewrite.ts';
import {
  OFF_LOOP_BODY_BYTES,
  OffLoopBodyDecoder,
  spawnBodyDecodeWorker,
} from '../../../src/request/off-loop-body-decoder.ts';
import type { RequestContext } from '../../../src/request/request-context.ts';
import { isShared } from '../../../src/request/shared-bytes.ts';

let policy: Policy;
const decoders: OffLoopBodyDecoder[] = [];

beforeAll(async () => {
  policy = await loadPolicyFile('policies/default.yaml');
});

afterAll(async () => {
  await Promise.all(decoders.map((decoder) => decoder.close()));
  policy.close();
});

/** Why bodies were decoded in-loop, in order (the decoders' onFallback). */
let fallbacks: string[] = [];

function decoder(spawn?: () => Worker): OffLoopBodyDecoder {
  fallbacks = [];
  const onFallback = (reason: string) => fallbacks.push(reason);
  const created = new OffLoopBodyDecoder(spawn ? { spawn, onFallback } : { onFallback });
  decoders.push(created);
  return created;
}

const PATHS: Record<LlmApi, string> = {
  chat_completions: '/v1/chat/completions',
  completions: '/v1/completions',
  responses: '/v1/responses',
  messages: '/v1/messages',
};

function input(api: LlmApi, body: Buffer): RouteInput {
  return { method: 'POST', path: PATHS[api], api, headers: new Map(), body };
}

/** What routing reads of a context (bodyBytes compared by content: the large path holds them on shared memory). */
function routingView(context: RequestContext) {
  const { bodyBytes, ...rest } = context;
  return { ...rest, body: Buffer.from(bodyBytes ?? new Uint8Array()).toString('utf8') };
}

const text = (chars: number, seed: string) =>
  `${seed} ${'Zürich 東京 ✓ '.repeat(chars / 13)}`.slice(0, chars);

const LARGE_BODIES: [string, LlmApi, unknown][] = [
  [
    'chat completions with tools and several turns',
    'chat_completions',
    {
      model: 'auto',
      stream: true,
      max_tokens: 64,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      messages: [
        { role: 'system', content: text(20_000, 'system') },
        { role: 'user', content: text(300_000, 'first') },
        { role: 'assistant', content: 'ok', tool_calls: [{ function: { name: 'lookup', arguments: '{}' } }] },
        { role: 'user', content: [{ type: 'text', text: text(100_000, 'second') }] },
      ],
    },
  ],
  ['Responses API', 'responses', { model: 'auto', instructions: 'be brief', input: text(400_000, 'input') }],
  [
    'Anthropic Messages',
    'messages',
    {
      model: 'auto',
      max_tokens: 100,
      system: 'terse',
      messages: [{ role: 'user', content: text(400_000, 'm') }],
    },
  ],
];

describe('off-loop body decoding', () => {
  it.each(LARGE_BODIES)('gives the in-loop context for a large %s body', async (_, api, json) => {
    const body = Buffer.from(JSON.stringify(json));
    expect(body.length).toBeGreaterThanOrEqual(OFF_LOOP_BODY_BYTES);
    const offLoop = decoder();
    const context = await parseRequestBounded(policy, input(api, body), offLoop);
    expect(offLoop.stats).toEqual({ decoded: 1, fallbacks: 0, workersLost: 0 });
    expect(isShared(context.bodyBytes ?? new Uint8Array())).toBe(true);
    expect(routingView(context)).toEqual(routingView(parseRequest(policy, input(api, body))));
  });

  /** Characters of the long strings below: bodies of several MiB, with text beyond Latin-1 and lone surrogates. */
  const MEBI_CHARS = 1024 * 1024;
  const LONG_STRING_BODIES: [string, LlmApi, unknown][] = [
    [
      'chat completions, one-byte prompt and a long system prompt beyond Latin-1',
      'chat_completions',
      {
        model: 'auto',
        messages: [
          { role: 'system', content: text(MEBI_CHARS + 3, 'system') },
          { role: 'user', content: 'x'.repeat(MEBI_CHARS) },
        ],
      },
    ],
    [
      'Responses API, input parts with a lone surrogate',
      'responses',
      {
        model: 'auto',
        input: [{ role: 'user', content: [{ type: 'input_text', text: `${text(MEBI_CHARS, 'i')}\ud83d` }] }],
      },
    ],
    [
      'Anthropic Messages, text blocks',
      'messages',
      {
        model: 'auto',
        max_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'é'.repeat(MEBI_CHARS + 1) }] }],
      },
    ],
  ];

  it.each(LONG_STRING_BODIES)('gives the in-loop context for a multi-megabyte %s', async (_, api, json) => {
    const body = Buffer.from(JSON.stringify(json));
    const offLoop = decoder();
    const context = await parseRequestBounded(policy, input(api, body), offLoop);
    expect(offLoop.stats).toEqual({ decoded: 1, fallbacks: 0, workersLost: 0 });
    expect(routingView(context)).toEqual(routingView(parseRequest(policy, input(api, body))));
  });

  it('rewrites a large body to the in-loop bytes with the member ranges the worker found', async () => {
    // Quote-heavy text (code), repeated keys and spacing: member ranges that are easy to get wrong.
    const code = 'const s = obj["key"]; print("a \\"b\\" c")\n'.repeat(OFF_LOOP_BODY_BYTES / 40);
    const messages = `[{"role":"user","content":${JSON.stringify(code)}}]`;
    const text = `{ "model" : "a", "stream":true,\n "messages": ${messages}, "model":"auto" }`;
    const body = Buffer.from(text);
    const offLoop = decoder();
    const context = await parseRequestBounded(policy, input('chat_completions', body), offLoop);
    expect(offLoop.stats.decoded).toBe(1);
    const original = context.request.body;
    const patched = { ...original, model: 'meta-llama/Llama-4-Scout', temperature: 0 };
    const rewritten = rewriteTopLevel(context.bodyBytes ?? new Uint8Array(), original, patched);
    expect(Buffer.compare(rewritten, rewriteTopLevel(body, original, patched))).toBe(0);
    expect(JSON.parse(rewritten.toString('utf8'))).toEqual(patched);
  });

  it.each([
    ['invalid JSON', Buffer.from(`{"model":"auto","messages":[${'1,'.repeat(OFF_LOOP_BODY_BYTES)}`)],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from('{"model":"'), Buffer.alloc(OFF_LOOP_BODY_BYTES, 0xff), Buffer.from('"}')]),
    ],
    [
      'nesting deeper than the limit',
      Buffer.from(`{"a":${'['.repeat(100)}${']'.repeat(100)},"b":"${'x'.repeat(OFF_LOOP_BODY_BYTES)}"}`),
    ],
    ['a JSON array', Buffer.from(`["${'x'.repeat(OFF_LOOP_BODY_BYTES)}"]`)],
    ['no messages', Buffer.from(JSON.stringify({ model: 'auto', prompt: 'x'.repeat(OFF_LOOP_BODY_BYTES) }))],
  ])('answers %s with the in-loop error', async (_, body) => {
    const inLoop = (() => {
      try {
        parseRequest(policy, input('chat_completions', body));
      } catch (error) {
        return error;
      }
      throw new Error('expected the in-loop decoder to refuse the body');
    })();
    expect(inLoop).toBeInstanceOf(InvalidRequestError);
    const offLoop = decoder();
    const refused = parseRequestBounded(policy, input('chat_completions', body), offLoop);
    await expect(refused).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(refused).rejects.toMatchObject({
      code: (inLoop as InvalidRequestError).code,
      message: (inLoop as InvalidRequestError).message,
    });
    expect(offLoop.stats.fallbacks).toBe(0);
  });

  it('decodes in-loop, and counts it, when the worker dies; the next body gets a new worker', async () => {
    let spawned = 0;
    const offLoop = decoder(() => {
      spawned++;
      // The first worker dies as soon as it is asked anything.
      if (spawned === 1)
        return new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3));", {
          eval: true,
        });
      return spawnBodyDecodeWorker();
    });
    const [, api, json] = LARGE_BODIES[1] as [string, LlmApi, unknown];
    const body = Buffer.from(JSON.stringify(json));
    const expected = routingView(parseRequest(policy, input(api, body)));
    expect(routingView(await parseRequestBounded(policy, input(api, body), offLoop))).toEqual(expected);
    expect(offLoop.stats).toEqual({ decoded: 0, fallbacks: 1, workersLost: 1 });
    expect(routingView(await parseRequestBounded(policy, input(api, body), offLoop))).toEqual(expected);
    expect(offLoop.stats).toEqual({ decoded: 1, fallbacks: 1, workersLost: 1 });
    expect(spawned).toBe(2);
    expect(fallbacks).toEqual(['worker_lost']);
  });

  it('decodes in-loop when the worker reports a failure, and keeps the worker', async () => {
    const offLoop = decoder(
      () =>
        new Worker(
          `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id }) => parentPort.postMessage({ id, kind: 'failed', message: 'out of memory' }));`,
          { eval: true },
        ),
    );
    const [, api, json] = LARGE_BODIES[0] as [string, LlmApi, unknown];
    const body = Buffer.from(JSON.stringify(json));
    const context = await parseRequestBounded(policy, input(api, body), offLoop);
    expect(routingView(context)).toEqual(routingView(parseRequest(policy, input(api, body))));
    expect(offLoop.stats).toEqual({ decoded: 0, fallbacks: 1, workersLost: 0 });
    expect(fallbacks).toEqual(['worker_failed']);
  });

  it('decodes in-loop when no worker can start', async () => {
    const offLoop = decoder(() => {
      throw new Error('no threads left');
    });
    const [, api, json] = LARGE_BODIES[2] as [string, LlmApi, unknown];
    const body = Buffer.from(JSON.stringify(json));
    const context = await parseRequestBounded(policy, input(api, body), offLoop);
    expect(routingView(context)).toEqual(routingView(parseRequest(policy, input(api, body))));
    expect(offLoop.stats.fallbacks).toBe(1);
    expect(fallbacks).toEqual(['no_worker']);
  });

  it('keeps small bodies on the event loop (no worker)', async () => {
    let spawned = 0;
    const offLoop = decoder(() => {
      spawned++;
      return spawnBodyDecodeWorker();
    });
    const body = Buffer.from(
      JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }),
    );
    const context = await parseRequestBounded(policy, input('chat_completions', body), offLoop);
    expect(context.bodyBytes).toBe(body);
    expect(spawned).toBe(0);
    expect(offLoop.stats).toEqual({ decoded: 0, fallbacks: 0, workersLost: 0 });
  });
});
