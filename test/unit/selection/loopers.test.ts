// The looper algorithms' call patterns and answers, with a scripted caller standing in for the looper endpoint;
// the HTTP caller against a local server (retries, loop-guard header, body it sends).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { LooperFailedError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import {
  httpLooperCaller,
  LOOPER_REQUEST_HEADER,
  type LooperCall,
  LooperCallError,
  type LooperCaller,
  type LooperReply,
} from '../../../src/selection/looper/looper-caller.ts';
import type { ModelCandidate, SelectionContext } from '../../../src/selection/model-selector.ts';
import { selectionAlgorithms } from '../../../src/selection/model-selector.ts';
import { PEER_FRAGMENTS } from '../../helpers/peer-fragment.ts';
import type { ContextInput } from '../../helpers/request-context.ts';
import { selectionContext } from '../../helpers/selection-context.ts';

// The registry imports an algorithm's module when a policy names it; these tests use them directly.
await selectionAlgorithms.loadAll();

interface Recorded {
  readonly model: string;
  readonly messages: readonly unknown[] | undefined;
  readonly topLogprobs: number | undefined;
}

type Script = (call: LooperCall, index: number) => LooperReply | Error;

/** A caller that answers from `script` and records every call; `inFlight` tracks the most concurrent calls. */
function scriptedCaller(script: Script) {
  const calls: Recorded[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const caller: LooperCaller = {
    async call(call) {
      const index = calls.length;
      calls.push({ model: call.upstreamModel, messages: call.messages, topLogprobs: call.topLogprobs });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      const reply = script(call, index);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  };
  return { caller, calls, maxInFlight: () => maxInFlight };
}

function reply(content: string, logprob = -0.01, tokens = 10): LooperReply {
  return {
    content,
    usage: { promptTokens: 5, completionTokens: tokens },
    tokenLogprobs: [
      { logprob, top: [logprob, logprob - 3] },
      { logprob, top: [logprob, logprob - 3] },
    ],
  };
}

const candidates: ModelCandidate[] = [
  { model: 'small', useReasoning: false, weight: 1 },
  { model: 'medium', useReasoning: false, weight: 1 },
  { model: 'large', useReasoning: false, weight: 1 },
];

function selector(type: string, config: Record<string, unknown>) {
  const algorithm = selectionAlgorithms.get(type);
  if (!algorithm) throw new Error(`no ${type}`);
  return algorithm.create(algorithm.configSchema.parse(config) as never);
}

function withLooper(caller: LooperCaller, request: ContextInput | string = 'hello'): SelectionContext {
  return { ...selectionContext({ request }), looper: caller };
}

/** Text of every message of a recorded call. */
function transcript(call: Recorded | undefined): string {
  return JSON.stringify(call?.messages ?? []);
}

describe('confidence', () => {
  it('escalates small to large and stops at the first answer that reaches the threshold', async () => {
    const { caller, calls } = scriptedCaller((call) =>
      call.upstreamModel === 'small' ? reply('unsure', -2) : reply('sure answer', -0.05),
    );
    const chosen = await selector('confidence', { threshold: 0.7, confidence_method: 'avg_logprob' }).select(
      candidates,
      withLooper(caller),
    );
    expect(calls.map((c) => c.model)).toEqual(['small', 'medium']);
    expect(calls[0]?.topLogprobs).toBe(5);
    expect(chosen.candidate.model).toBe('medium');
    expect(chosen.answer?.content).toBe('sure answer');
    expect(chosen.answer?.usage).toEqual({ promptTokens: 10, completionTokens: 20 });
    expect(chosen.scores?.map((s) => s.model)).toEqual(['small', 'medium']);
  });

  it('asks large to small when told, and returns the last answer when none is confident', async () => {
    const { caller, calls } = scriptedCaller((call) => reply(`from ${call.upstreamModel}`, -3));
    const chosen = await selector('confidence', {
      threshold: 0.9,
      escalation_order: 'large_to_small',
      confidence_method: 'margin',
    }).select(candidates, withLooper(caller));
    expect(calls.map((c) => c.model)).toEqual(['large', 'medium', 'small']);
    expect(chosen.answer?.content).toBe('from small');
    expect(chosen.reason).toContain('no answer reached 0.9');
  });

  it('skips a failed model under on_error skip and fails the request under on_error fail', async () => {
    const script: Script = (call) =>
      call.upstreamModel === 'small'
        ? new LooperCallError('the looper endpoint answered 503', true)
        : reply('ok');
    const skipped = await selector('confidence', { on_error: 'skip' }).select(
      candidates,
      withLooper(scriptedCaller(script).caller),
    );
    expect(skipped.answer?.model).toBe('medium');
    expect(skipped.scores?.[0]).toMatchObject({
      model: 'small',
      excluded: 'the looper endpoint answered 503',
    });
    await expect(
      selector('confidence', { on_error: 'fail' }).select(
        candidates,
        withLooper(scriptedCaller(script).caller),
      ),
    ).rejects.toThrow(LooperFailedError);
  });

  it('self_verify asks the model to rate its own answer', async () => {
    const { caller, calls } = scriptedCaller((_call, index) => reply(index % 2 === 0 ? 'an answer' : '0.9'));
    const chosen = await selector('confidence', { confidence_method: 'self_verify', threshold: 0.8 }).select(
      candidates,
      withLooper(caller),
    );
    expect(calls.map((c) => c.model)).toEqual(['small', 'small']);
    expect(transcript(calls[1])).toContain('an answer');
    expect(chosen.answer?.content).toBe('an answer');
  });
});

describe('ratings', () => {
  it('asks every candidate and returns the answer the others agree with most', async () => {
    const answers: Record<string, string> = {
      small: 'Paris is the capital of France',
      medium: 'bananas are yellow',
      large: 'The capital of France is Paris',
    };
    const { caller, calls, maxInFlight } = scriptedCaller((call) => reply(answers[call.upstreamModel] ?? ''));
    const chosen = await selector('ratings', { max_concurrent: 1 }).select(candidates, withLooper(caller));
    expect(calls.map((c) => c.model).sort()).toEqual(['large', 'medium', 'small']);
    expect(maxInFlight()).toBe(1);
    expect(chosen.answer?.model).toBe('small');
    expect(chosen.answer?.usage.completionTokens).toBe(30);
  });

  it('returns a 502 error when fewer than min_successful_responses answered', async () => {
    const { caller } = scriptedCaller((call) =>
      call.upstreamModel === 'large'
        ? reply('only one')
        : new LooperCallError('the looper call timed out', true),
    );
    const failing = selector('ratings', { min_successful_responses: 2 }).select(
      candidates,
      withLooper(caller),
    );
    await expect(failing).rejects.toMatchObject({ code: 'looper_failed', httpStatus: 502 });
  });
});

describe('remom', () => {
  it('runs each round at its breadth and feeds the answers to the next round', async () => {
    const { caller, calls } = scriptedCaller((call, index) =>
      reply(`${call.upstreamModel} round answer ${index}`),
    );
    const chosen = await selector('remom', { breadth_schedule: [3, 1] }).select(
      candidates,
      withLooper(caller),
    );
    expect(calls.map((c) => c.model)).toEqual(['small', 'medium', 'large', 'small']);
    expect(calls[0]?.messages).toBeUndefined();
    for (const index of [0, 1, 2]) expect(transcript(calls[3])).toContain(`round answer ${index}`);
    expect(chosen.answer?.content).toBe('small round answer 3');
    expect(chosen.answer?.calls).toBe(4);
  });

  it('merges a wide last round with the first candidate', async () => {
    const { caller, calls } = scriptedCaller((_call, index) =>
      reply(index === 2 ? 'merged' : `draft ${index}`),
    );
    const chosen = await selector('remom', { breadth_schedule: [2] }).select(candidates, withLooper(caller));
    expect(calls.map((c) => c.model)).toEqual(['small', 'medium', 'small']);
    expect(transcript(calls[2])).toContain('draft 1');
    expect(chosen.answer?.content).toBe('merged');
  });

  it('continues with the successful calls under on_error skip, down to min_successful_responses', async () => {
    const script: Script = (call, index) =>
      call.upstreamModel === 'medium' && index < 3
        ? new LooperCallError('the looper call timed out', true)
        : reply(`a${index}`);
    const chosen = await selector('remom', { breadth_schedule: [3, 1], min_successful_responses: 2 }).select(
      candidates,
      withLooper(scriptedCaller(script).caller),
    );
    expect(chosen.answer?.content).toBe('a3');
    const strict = selector('remom', { breadth_schedule: [3, 1], min_successful_responses: 3 });
    await expect(strict.select(candidates, withLooper(scriptedCaller(script).caller))).rejects.toThrow(
      /round 1 calls succeeded/,
    );
  });
});

describe('fusion', () => {
  it('has the analysis models answer and the judge fuse their answers', async () => {
    const { caller, calls } = scriptedCaller((call) =>
      call.upstreamModel === 'large' ? reply('fused verdict') : reply(`analysis by ${call.upstreamModel}`),
    );
    const chosen = await selector('fusion', {
      model: 'large',
      analysis_models: ['small', 'medium'],
      include_intermediate_responses: true,
    }).select(candidates, withLooper(caller));
    expect(calls.map((c) => c.model)).toEqual(['small', 'medium', 'large']);
    expect(transcript(calls[2])).toContain('analysis by small');
    expect(transcript(calls[2])).toContain('analysis by medium');
    expect(chosen.candidate.model).toBe('large');
    expect(chosen.answer).toMatchObject({ model: 'large', content: 'fused verdict', calls: 3 });
    expect(chosen.answer?.intermediate?.map((r) => r.model)).toEqual(['small', 'medium']);
  });

  it('returns the first analysis when the judge fails under on_error skip', async () => {
    const { caller } = scriptedCaller((call) =>
      call.upstreamModel === 'large'
        ? new LooperCallError('the looper endpoint answered 500', true)
        : reply('analysis'),
    );
    const chosen = await selector('fusion', { model: 'large' }).select(candidates, withLooper(caller));
    expect(chosen.answer?.model).toBe('small');
    expect(chosen.reason).toContain('judge large failed');
  });
});

describe('workflows', () => {
  it('runs the planner’s steps on their workers and has the planner synthesise the answer', async () => {
    const plan = JSON.stringify({
      steps: [
        { model: 'small', task: 'list the facts' },
        { model: 'medium', task: 'check the facts' },
        { model: 'small', task: 'one step too many' },
      ],
    });
    const { caller, calls } = scriptedCaller((call, index) =>
      index === 0
        ? reply(`Here is the plan: ${plan}`)
        : reply(index === 3 ? 'final synthesis' : `step ${call.upstreamModel}`),
    );
    const chosen = await selector('workflows', {
      planner: { model: 'large' },
      max_steps: 2,
      max_parallel: 2,
    }).select(candidates, withLooper(caller));
    expect(calls.map((c) => c.model)).toEqual(['large', 'small', 'medium', 'large']);
    expect(transcript(calls[1])).toContain('list the facts');
    expect(transcript(calls[3])).toContain('step medium');
    expect(chosen.answer).toMatchObject({ model: 'large', content: 'final synthesis' });
  });

  it('gives every worker the whole request when the plan cannot be read', async () => {
    const { caller, calls } = scriptedCaller((_call, index) => reply(index === 0 ? 'no plan here' : 'done'));
    const chosen = await selector('workflows', { planner: { model: 'large' } }).select(
      candidates,
      withLooper(caller),
    );
    expect(calls.map((c) => c.model)).toEqual(['large', 'small', 'medium', 'large']);
    expect(chosen.reason).toContain('plan unreadable');
  });
});

describe('prompt selection', () => {
  it('routes the request to the candidate the helper names, without answering it', async () => {
    const { caller, calls } = scriptedCaller(() => reply('large'));
    const chosen = await selector('prompt', { model: 'small', instructions: 'hard → large' }).select(
      candidates,
      withLooper(caller, 'prove the theorem'),
    );
    expect(calls.map((c) => c.model)).toEqual(['small']);
    expect(transcript(calls[0])).toContain('hard → large');
    expect(transcript(calls[0])).toContain('prove the theorem');
    expect(chosen.candidate.model).toBe('large');
    expect(chosen.answer).toBeUndefined();
  });

  it('uses the first candidate and says why when the helper fails', async () => {
    const { caller } = scriptedCaller(() => new LooperCallError('the looper call timed out', true));
    const chosen = await selector('prompt', { model: 'small' }).select(candidates, withLooper(caller));
    expect(chosen.candidate.model).toBe('small');
    expect(chosen.reason).toBe('prompt helper small failed (the looper call timed out): first candidate');
  });
});

describe('without a looper run', () => {
  it('never loops a request that carries the loop-guard header', async () => {
    const { caller, calls } = scriptedCaller(() => reply('x'));
    const context = withLooper(caller, { text: 'hi', headers: { [LOOPER_REQUEST_HEADER]: 'true' } });
    const chosen = await selector('fusion', { model: 'large' }).select(candidates, context);
    expect(calls).toHaveLength(0);
    expect(chosen.answer).toBeUndefined();
    expect(chosen.candidate.model).toBe('large');
    expect(chosen.reason).toBe('looper call (loop guard): routed to large');
  });

  it('routes a request of another API than chat completions to the final model', async () => {
    const { caller, calls } = scriptedCaller(() => reply('x'));
    const chosen = await selector('fusion', { model: 'large' }).select(
      candidates,
      withLooper(caller, { prompt: 'hi' }),
    );
    expect(calls).toHaveLength(0);
    expect(chosen.reason).toBe('looper needs the chat completions API: routed to large');
  });

  it('routes to the final model when the policy has no looper', async () => {
    const context = selectionContext();
    const cases: [string, Record<string, unknown>, string][] = [
      ['confidence', {}, 'large'],
      ['confidence', { escalation_order: 'large_to_small' }, 'small'],
      ['fusion', { model: 'medium' }, 'medium'],
      ['workflows', { planner: { model: 'medium' } }, 'medium'],
      ['ratings', {}, 'small'],
      ['remom', {}, 'small'],
    ];
    for (const [type, config, model] of cases) {
      const chosen = await selector(type, config).select(candidates, context);
      expect([type, chosen.candidate.model, chosen.reason]).toEqual([
        type,
        model,
        `looper not configured: routed to ${model}`,
      ]);
    }
  });
});

describe('the HTTP looper caller', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function endpoint(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  }

  it('retries a 503, then reads the answer; sends the loop guard and a non-streaming body', async () => {
    const seen: { headers: Record<string, unknown>; body: Record<string, unknown> }[] = [];
    const url = await endpoint((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        seen.push({ headers: req.headers, body: JSON.parse(text) });
        if (seen.length === 1) return res.writeHead(503).end('{}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            choices: [{ message: { role: 'assistant', content: 'hello' } }],
            usage: { prompt_tokens: 3, completion_tokens: 1 },
          }),
        );
      });
    });
    const caller = httpLooperCaller({
      endpoint: url,
      timeoutMs: 5000,
      retries: 1,
      headers: { 'x-tag': 'looper' },
    });
    const answer = await caller.call({
      algorithm: 'fusion',
      upstreamModel: 'Qwen/Qwen3-8B',
      body: { model: 'auto', stream: true, stream_options: { include_usage: true }, messages: [] },
      topLogprobs: 3,
    });
    expect(answer).toMatchObject({ content: 'hello', usage: { promptTokens: 3, completionTokens: 1 } });
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers).toMatchObject({ [LOOPER_REQUEST_HEADER]: 'true', 'x-tag': 'looper' });
    expect(seen[1]?.body).toEqual({
      model: 'Qwen/Qwen3-8B',
      stream: false,
      messages: [],
      logprobs: true,
      top_logprobs: 3,
    });
  });

  it('gives up after its retries with the status, and stops when the client goes away', async () => {
    const url = await endpoint((_req, res) => res.writeHead(500).end());
    const caller = httpLooperCaller({ endpoint: url, timeoutMs: 5000, retries: 2, headers: {} });
    const call = { algorithm: 'ratings', upstreamModel: 'm', body: {} };
    await expect(caller.call(call)).rejects.toThrow('the looper endpoint answered 500');
    const gone = AbortSignal.abort();
    await expect(caller.call(call, gone)).rejects.toThrow('the client went away');
  });
});

describe("the peer's looper and prompt fragments", () => {
  const fragments = [
    ...['confidence', 'ratings', 'remom', 'fusion', 'workflows'].map(
      (name) => `algorithm/looper/${name}.yaml`,
    ),
  ];

  function policyWith(algorithms: readonly unknown[], looper: boolean): string {
    const models = ['qwen3-8b', 'qwen3-32b', 'qwen-coordinator'];
    return YAML.stringify({
      version: 'v1',
      default_model: 'qwen3-8b',
      ...(looper && { looper: { endpoint: 'http://127.0.0.1:8899/v1/chat/completions' } }),
      pools: [{ name: 'p', max_context_tokens: 32768 }],
      models: models.map((name) => ({ name, pools: ['p'] })),
      routing: {
        decisions: algorithms.map((algorithm, index) => ({
          name: `d${index}`,
          rules: { operator: 'AND', conditions: [] },
          modelRefs: [{ model: 'qwen3-8b' }, { model: 'qwen3-32b' }],
          algorithm,
        })),
      },
    });
  }

  function fragmentAlgorithms(): unknown[] {
    const looperAlgorithms = fragments.map(
      (file) =>
        (YAML.parse(readFileSync(path.join(PEER_FRAGMENTS, file), 'utf8')) as { algorithm: unknown })
          .algorithm,
    );
    const prompt = YAML.parse(
      readFileSync(path.join(PEER_FRAGMENTS, 'algorithm/selection/prompt.yaml'), 'utf8'),
    ) as {
      routing: { decisions: { algorithm: unknown }[] };
    };
    return [...looperAlgorithms, ...prompt.routing.decisions.map((d) => d.algorithm)];
  }

  it('load as written with a looper endpoint', async () => {
    const policy = await compilePolicyText(policyWith(fragmentAlgorithms(), true), 'policy.yaml');
    expect(policy.decisions.map((d) => d.selector.algorithm)).toEqual([
      'confidence',
      'ratings',
      'remom',
      'fusion',
      'workflows',
      'prompt',
    ]);
    expect(policy.warnings.filter((w) => w.message.includes('looper'))).toEqual([]);
    policy.close();
  });

  it('load without one with one warning per looper decision', async () => {
    const policy = await compilePolicyText(policyWith(fragmentAlgorithms(), false), 'policy.yaml');
    const looperWarnings = policy.warnings.filter((w) => w.message.includes('looper'));
    expect(looperWarnings.map((w) => w.path)).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `routing.decisions[${i}].algorithm.type`),
    );
    expect(looperWarnings[3]?.message).toContain("uses 'fusion'");
    policy.close();
  });

  it('reject a judge, planner or helper that is not a model of the policy', async () => {
    const bad = [
      { type: 'fusion', fusion: { model: 'qwen3-235b' } },
      { type: 'workflows', workflows: { planner: { model: 'planner-x' } } },
      { type: 'prompt', prompt: { model: 'helper-x' } },
    ];
    const error = await compilePolicyText(policyWith(bad, true), 'policy.yaml').catch(
      (e: Error) => e.message,
    );
    expect(error).toContain("fusion names model 'qwen3-235b', which is not defined under models");
    expect(error).toContain("workflows names model 'planner-x'");
    expect(error).toContain("prompt names model 'helper-x'");
  });

  it('reject a bad looper config at load, naming the field', async () => {
    const bad = [{ type: 'confidence', confidence: { escalation_order: 'sideways' } }];
    await expect(compilePolicyText(policyWith(bad, true), 'policy.yaml')).rejects.toThrow(/escalation_order/);
  });
});
