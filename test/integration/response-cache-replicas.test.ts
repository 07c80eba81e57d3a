import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStubServer } from '../../src/stub/openai-stub.ts';
import { ExtProcExchange, headerMap, setHeaders } from '../helpers/ext-proc-client.ts';
import {
  type RedisReplicas,
  type Replica,
  redisPolicy,
  startRedisReplicas,
} from '../helpers/redis-replicas.ts';
import { redisSkipReason } from '../helpers/redis-server.ts';

if (redisSkipReason)
  console.warn(`test/integration/response-cache-replicas.test.ts skipped: ${redisSkipReason}`);

let started: RedisReplicas;
let stub: { server: Server; port: number };

/**
 * Below the default on purpose: PARAPHRASE scores 0.959 against QUESTION with the lexical model (calibrated), the
 * unrelated OTHER 0.916.
 */
const THRESHOLD = 0.95;
const QUESTION = 'How far is the Moon from the Earth?';
const PARAPHRASE = 'how far away is the moon from earth?';
const OTHER = 'How far is Mars from the Earth?';

function policyYaml(redisAddress: string): string {
  return redisPolicy(
    redisAddress,
    'cache-replicas:',
    200,
    `routing:
  decisions:
    - name: cached
      priority: 1
      modelRefs: [ { model: small } ]
      plugins:
        - type: response_cache
          configuration: { backend: state_store, semantic: { similarity_threshold: ${THRESHOLD} } }
`,
  );
}

type Outcome =
  | { readonly path: 'upstream'; readonly content: string }
  | {
      readonly path: string;
      readonly content: string;
      readonly age: string | undefined;
      readonly lookup: string | undefined;
    };

/**
 * One request as Envoy runs it: a cached answer comes back as the immediate response, else the stub answers
 * (`lookupOnly`: the exchange ends unanswered instead, as when the client goes away).
 */
async function send(replica: Replica, question: string, lookupOnly = false): Promise<Outcome> {
  const body = Buffer.from(
    JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: question }] }),
  );
  const exchange = ExtProcExchange.open(replica.client);
  try {
    await exchange.send({
      request_headers: {
        headers: headerMap({
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          ':authority': 'router.test',
          'content-type': 'application/json',
          'content-length': String(body.length),
        }),
        end_of_stream: false,
      },
    });
    const routed = await exchange.send({ request_body: { body, end_of_stream: true } });
    const immediate = routed.immediate_response;
    if (immediate) {
      const headers = setHeaders(immediate.headers);
      const answer = JSON.parse(Buffer.from(immediate.body ?? '').toString('utf8')) as {
        choices: { message: { content: string } }[];
      };
      return {
        path: headers['x-router-response-path'] ?? '',
        content: answer.choices[0]?.message.content ?? '',
        age: headers.age,
        lookup: headers['x-router-cache'],
      };
    }
    // The client went away before an answer: nothing to store, so a probe never fills the replica's own cache.
    if (lookupOnly) return { path: 'upstream', content: '' };
    const mutation = routed.request_body?.response;
    const upstream = await fetch(`http://127.0.0.1:${stub.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: mutation?.body_mutation?.body ?? body,
    });
    const text = await upstream.text();
    const answered = await exchange.send({
      response_headers: {
        headers: headerMap({ ':status': String(upstream.status), 'content-type': 'application/json' }),
      },
    });
    if (answered.mode_override?.response_body_mode !== 'NONE')
      await exchange.send({ response_body: { body: Buffer.from(text), end_of_stream: true } });
    const answer = JSON.parse(text) as { choices: { message: { content: string } }[] };
    return { path: 'upstream', content: answer.choices[0]?.message.content ?? '' };
  } finally {
    await exchange.close();
  }
}

function adminBase(replica: Replica): string {
  const port = /"adminPort":(\d+)/.exec(replica.router.logs())?.[1];
  if (!port) throw new Error('the router logged no admin port');
  return `http://127.0.0.1:${port}`;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(redisSkipReason !== undefined)(
  'two router replicas sharing the response cache through Redis',
  () => {
    beforeAll(async () => {
      const server = createStubServer({
        pool: 'l4-pool',
        errorRate: 0,
        errorStatus: 500,
        ttftMs: 0,
        completionTokens: 6,
        seed: 1,
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      stub = { server, port: (server.address() as AddressInfo).port };
      started = await startRedisReplicas('cache-replicas', policyYaml);
    }, 60_000);

    afterAll(async () => {
      await started?.stop();
      if (stub) await new Promise((resolve) => stub.server.close(resolve));
    });

    it('serves on replica B the answer replica A stored', async () => {
      const [a, b] = started.replicas as [Replica, Replica];
      const first = await send(a, 'Which planet is the largest?');
      expect(first.path).toBe('upstream');
      // A writes to Redis after its answer passed: wait for B to see it.
      const served = await until('B to answer from the cache', async () => {
        const outcome = await send(b, 'Which planet is the largest?', true);
        return outcome.path === 'cache' ? outcome : undefined;
      });
      expect(served.content).toBe(first.content);
      expect((await send(b, 'A question only B is asked')).path).toBe('upstream');
    }, 60_000);

    it('serves on replica B, as a semantic hit, a paraphrase of what replica A stored', async () => {
      const [a, b] = started.replicas as [Replica, Replica];
      const first = await send(a, QUESTION);
      expect(first.path).toBe('upstream');
      const served = await until('B to answer the paraphrase from the cache', async () => {
        const outcome = await send(b, PARAPHRASE, true);
        return outcome.path === 'cache' ? outcome : undefined;
      });
      expect(served.content).toBe(first.content);
      expect('lookup' in served && served.lookup).toMatch(/^semantic;similarity=0\.9[5-9]/);
      // Below the threshold: not served from A's answer.
      expect((await send(b, OTHER, true)).path).toBe('upstream');
    }, 60_000);

    it('a flush sent to replica A removes what replica B would read from Redis', async () => {
      const [a, b] = started.replicas as [Replica, Replica];
      // B holds its own copy of A's answer to QUESTION (served in the test before): the flush reaches it too.
      expect((await send(b, PARAPHRASE, true)).path).toBe('cache');
      const flush = async () => {
        const response = await fetch(`${adminBase(a)}/cache/flush?scope=global`, { method: 'POST' });
        return (await response.json()) as { scope: string; sharedKeys?: number };
      };
      expect(await flush()).toMatchObject({ scope: 'global' });
      const question = 'What is the boiling point of water at sea level?';
      expect((await send(a, question)).path).toBe('upstream');
      // A writes its entry, then its vector, after the answer passed: flush until both have been deleted.
      let deleted = 0;
      await until('A to have written its entry and vector, then flushed them', async () => {
        deleted += (await flush()).sharedKeys ?? 0;
        return deleted >= 2 ? deleted : undefined;
      });
      expect(deleted).toBe(2);
      expect((await send(b, question, true)).path).toBe('upstream');
      expect((await send(b, `${question} `, true)).path).toBe('upstream');
      // B reads the log of flushes at most once a second, on a lookup.
      await until('B to drop its own copy of the flushed scope', async () =>
        (await send(b, PARAPHRASE, true)).path === 'upstream' ? true : undefined,
      );
    }, 60_000);

    it('keeps answering when Redis is stopped', async () => {
      const [, b] = started.replicas as [Replica, Replica];
      expect((await send(b, 'Name three primary colours.')).path).toBe('upstream');
      await started.redis.stop();
      expect((await send(b, 'Asked after Redis went away')).path).toBe('upstream');
      // B's own memory still holds what it answered before.
      expect((await send(b, 'Name three primary colours.')).path).toBe('cache');
    }, 60_000);
  },
);
