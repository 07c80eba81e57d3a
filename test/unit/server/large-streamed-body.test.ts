// A large body sent in STREAMED chunks: held back chunk by chunk, joined off the hot path, routed and rewritten to
// the same bytes as when it arrives in one BUFFERED message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import { createRequestRouter } from '../../../src/pipeline.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { OFF_LOOP_BODY_BYTES } from '../../../src/request/off-loop-body-decoder.ts';
import type { StreamProcessor } from '../../../src/server/stream-processor.ts';
import { chatCompletionPost } from '../../helpers/response-plugins.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await compilePolicyText(
    `version: v1
default_model: long
pools:
  - { name: long-pool, max_context_tokens: 4M }
models:
  - { name: long, provider_model_id: meta-llama/Llama-4-Scout, pools: [long-pool], context_window: 4M }
routing:
  signals:
    keywords:
      - { name: code_terms, operator: OR, keywords: [typescript] }
  decisions:
    - name: code
      rules: { type: keyword, name: code_terms }
      modelRefs: [{ model: long }]
`,
    'large-streamed.yaml',
  );
});
afterAll(() => policy.close());

const processor = (): StreamProcessor => chatCompletionPost(createRequestRouter(policy), 8 * 1024 * 1024);

const bodyOf = (result: PhaseResult) => (result.kind === 'continue' ? result.body : undefined);

describe('a large STREAMED request body', () => {
  it('is routed and rewritten exactly as the same body in one message', async () => {
    const content = `${'Port this module to TypeScript, keeping every comment. '.repeat(60_000)}Thanks.`;
    const body = Buffer.from(
      JSON.stringify({ model: 'auto', stream: false, messages: [{ role: 'user', content }] }),
    );
    expect(body.length).toBeGreaterThan(3 * OFF_LOOP_BODY_BYTES);

    const streamed = processor();
    const chunk = 64 * 1024;
    for (let offset = 0; offset + chunk < body.length; offset += chunk) {
      expect(await streamed.onRequestBody(body.subarray(offset, offset + chunk), false)).toEqual({
        kind: 'continue',
        clearBody: true,
      });
    }
    const last = Math.floor((body.length - 1) / chunk) * chunk;
    const streamedResult = await streamed.onRequestBody(body.subarray(last), true);
    const buffered = await processor().onRequestBody(body, true);

    const rewritten = bodyOf(streamedResult);
    expect(rewritten).toBeDefined();
    expect(Buffer.from(rewritten as Uint8Array).equals(Buffer.from(bodyOf(buffered) as Uint8Array))).toBe(
      true,
    );
    expect(JSON.parse(Buffer.from(rewritten as Uint8Array).toString('utf8'))).toEqual({
      model: 'meta-llama/Llama-4-Scout',
      stream: false,
      messages: [{ role: 'user', content }],
    });
    expect(
      streamedResult.kind === 'continue' && Object.fromEntries(streamedResult.setHeaders ?? []),
    ).toMatchObject({
      'x-selected-model': 'long',
      'content-length': String((rewritten as Uint8Array).length),
    });
  });
});
