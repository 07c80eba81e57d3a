// `response_jailbreak` (vLLM Semantic Router's plugin): the content-safety classifier reads the model's answer.
// `block` answers 403 in the API's error shape instead of a BUFFERED answer and cuts a streamed one with an error
// frame (its text is held back and checked every STREAM_CHECK_CHARS characters as it arrives); `header` (the peer's default; `warn` is the same) sets the peer's
// x-vsr-response-jailbreak-* headers on a BUFFERED answer; `none` only checks. A classifier that fails blocks under
// `block` unless `on_error: allow`.
import { z } from 'zod';
import { HEADER } from '../headers.ts';
import type { HeaderPair } from '../mutations.ts';
import type { RequestContext } from '../request/request-context.ts';
import { AnswerStream } from '../response/answer-stream.ts';
import { answerTextOfBytes } from '../response/answer-text.ts';
import { isIdentityEncoding } from '../response/json-response.ts';
import { DEFAULT_JAILBREAK_THRESHOLD } from '../signals/jailbreak.ts';
import type { PluginDefinition, ResponseBodyEffect, ResponsePhaseContext } from './plugin.ts';
import { plugin } from './plugin.ts';
import { builtinJailbreakClassifier, type ClassifierSource, scoreUnsafe } from './response-classifier.ts';

const configSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Minimum P(unsafe) of a window of the answer (default: the model card's threshold, else 0.5). */
  threshold: z.number().min(0).max(1).optional(),
  action: z
    .enum(['block', 'header', 'warn', 'none'], { message: 'action must be block, header, warn or none' })
    .default('header'),
  /** Extension: what a failing classifier does under `block` (default block: a guardrail fails closed). */
  on_error: z.enum(['block', 'allow'], { message: 'on_error must be block or allow' }).default('block'),
});

export type ResponseJailbreakConfig = z.infer<typeof configSchema>;

/** The peer's message for a blocked answer. */
export const RESPONSE_BLOCKED_MESSAGE = 'Response blocked: jailbreak content detected in LLM output';
export const RESPONSE_CHECK_FAILED_MESSAGE = 'Response blocked: the response safety check could not run';

/**
 * Answer text held back per check of a streamed answer under `block`: no text reaches the client before the model
 * has read it, at the cost of the client receiving the answer in bursts of about this many characters.
 */
export const STREAM_CHECK_CHARS = 256;

/** One streamed answer's check: frames held until their text is checked, and that text after some text before it. */
interface StreamCheck {
  readonly stream: AnswerStream;
  held: Uint8Array[];
  text: string;
  overlap: number;
}

function detectionHeaders(category: string, probability: number): HeaderPair[] {
  return [
    [HEADER.vsrResponseJailbreakDetected, 'true'],
    [HEADER.vsrResponseJailbreakType, category],
    [HEADER.vsrResponseJailbreakConfidence, probability.toFixed(3)],
  ];
}

/** The plugin with the classifier `source` (tests give their own; the registry uses the built-in model). */
export function responseJailbreakDefinition(
  source: ClassifierSource,
): PluginDefinition<ResponseJailbreakConfig> {
  return {
    name: 'response_jailbreak',
    configSchema,
    create: (config) => {
      if (!config.enabled) return plugin('response_jailbreak', {});
      const blocks = config.action === 'block';
      const streams = new WeakMap<RequestContext, StreamCheck>();

      /** Whether `text` is unsafe; undefined when the classifier failed. */
      const check = async (text: string) => {
        try {
          const classifier = await source();
          const threshold = config.threshold ?? classifier.card.threshold ?? DEFAULT_JAILBREAK_THRESHOLD;
          const score = await scoreUnsafe(classifier, text);
          return { ...score, flagged: score.category !== '' && score.probability >= threshold };
        } catch {
          return undefined;
        }
      };

      const failed = (): ResponseBodyEffect | undefined =>
        blocks && config.on_error === 'block'
          ? { kind: 'block', message: RESPONSE_CHECK_FAILED_MESSAGE }
          : undefined;

      const checkBuffered = async (
        context: ResponsePhaseContext,
        body: Uint8Array,
      ): Promise<ResponseBodyEffect | undefined> => {
        const encoding = context.responseHeaders.get(HEADER.contentEncoding);
        const text = isIdentityEncoding(encoding)
          ? answerTextOfBytes(context.request.request.api, body)
          : undefined;
        if (text === undefined) return (context.response.status ?? 0) < 300 ? failed() : undefined;
        if (!/\S/u.test(text)) return undefined;
        const result = await check(text);
        if (result === undefined) return failed();
        if (!result.flagged) return undefined;
        if (blocks) return { kind: 'block', message: RESPONSE_BLOCKED_MESSAGE };
        if (config.action === 'none') return undefined;
        return { kind: 'annotate', setHeaders: detectionHeaders(result.category, result.probability) };
      };

      const checkStreamed = async (
        context: ResponsePhaseContext,
        chunk: Uint8Array,
        endOfStream: boolean,
      ): Promise<ResponseBodyEffect | undefined> => {
        let state = streams.get(context.request);
        if (!state) {
          state = { stream: new AnswerStream(context.request.request.api), held: [], text: '', overlap: 0 };
          streams.set(context.request, state);
        }
        const step = state.stream.push(chunk, endOfStream);
        if (step.bytes.length > 0) state.held.push(step.bytes);
        state.text += step.text;
        const unchecked = state.text.length - state.overlap;
        if (unchecked >= STREAM_CHECK_CHARS || (endOfStream && unchecked > 0)) {
          const result = await check(state.text);
          // A failed check lets the held text through only when the policy says so (`on_error: allow`).
          const failure = result === undefined ? failed() : undefined;
          if (failure) return failure;
          if (result?.flagged) return { kind: 'block', message: RESPONSE_BLOCKED_MESSAGE };
          // The next check reads a little of this text again: a phrase cut by the edge is read whole.
          state.text = state.text.slice(-Math.floor(STREAM_CHECK_CHARS / 4));
          state.overlap = state.text.length;
        } else if (!endOfStream) {
          return { kind: 'annotate', body: new Uint8Array(0) };
        }
        const released = state.held.length === 1 ? (state.held[0] as Uint8Array) : Buffer.concat(state.held);
        state.held = [];
        return released === chunk ? undefined : { kind: 'annotate', body: released };
      };

      return plugin('response_jailbreak', {
        ignoresStreamedBody: !blocks,
        onResponseBody: (context, chunk, endOfStream) => {
          // Headers cannot reach the client once a stream flows: only `block` checks streamed answers.
          if (context.response.streaming)
            return blocks ? checkStreamed(context, chunk, endOfStream) : undefined;
          return endOfStream ? checkBuffered(context, chunk) : undefined;
        },
      });
    },
  };
}

export const responseJailbreakPlugin = responseJailbreakDefinition(builtinJailbreakClassifier);
