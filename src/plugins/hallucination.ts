// `hallucination` (vLLM Semantic Router's plugin): checks a BUFFERED answer against the context its request carried
// (tool results, system / RAG context) with the grounding heuristic of grounding.ts in place of the peer's token
// classifier and NLI models. Unsupported figures or names: `hallucination_action` (header: the peer's
// x-vsr-hallucination-* headers; body: the peer's warning before the answer; none). Factual units and no context
// to check them against: the peer's "unverified factual" case, `unverified_factual_action`. Streamed answers are
// not checked (their headers are gone before the text is), as the peer does.
import { z } from 'zod';
import { HEADER } from '../headers.ts';
import type { HeaderPair } from '../mutations.ts';
import { answerTextOfBytes, prependAnswerText } from '../response/answer-text.ts';
import { isIdentityEncoding } from '../response/json-response.ts';
import { checkGrounding, GroundingContext, type GroundingResult } from './grounding.ts';
import type { PluginDefinition, ResponseBodyEffect, ResponsePhaseContext } from './plugin.ts';
import { plugin } from './plugin.ts';

const action = (field: string) =>
  z
    .enum(['header', 'warn', 'body', 'none'], { message: `${field} must be header, body or none` })
    .default('header');

const configSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The peer's NLI explainer; accepted, and answered by the same heuristic (this router ships no NLI model). */
  use_nli: z.boolean().default(false),
  hallucination_action: action('hallucination_action'),
  unverified_factual_action: action('unverified_factual_action'),
  /** The unsupported spans in the body warning and in x-vsr-hallucination-spans. */
  include_hallucination_details: z.boolean().default(false),
});

export type HallucinationConfig = z.infer<typeof configSchema>;

/** Roles whose text is context an answer can be checked against. */
const CONTEXT_ROLES = new Set(['tool', 'system', 'developer']);
/** Spans listed in a header: a header line stays short. */
const MAX_HEADER_SPANS = 8;
const MAX_SPAN_CHARS = 64;

const UNVERIFIED_WARNING =
  '[Unverified Response] This response contains factual claims that could not be verified due to missing context.';

function hallucinationWarning(result: GroundingResult, details: boolean): string {
  if (!details)
    return '[Hallucination Warning] This response may contain unsupported claims. Please verify the information independently.';
  const spans = result.unsupported.map((unit) => unit.text).join('", "');
  return (
    `[Hallucination Warning] This response may contain unsupported claims (confidence: ${Math.round(result.unsupportedShare * 100)}%).` +
    ` Unsupported spans: "${spans}". Please verify the information independently.`
  );
}

/**
 * Header-safe span list: printable ASCII only (other characters percent-encoded as UTF-8, since proxies and clients
 * disagree on non-ASCII header bytes), no separator inside a span.
 */
function spanHeader(result: GroundingResult): string {
  return result.unsupported
    .slice(0, MAX_HEADER_SPANS)
    .map((unit) =>
      unit.text
        .slice(0, MAX_SPAN_CHARS)
        .replace(/;/g, ',')
        .replace(/[^\x20-\x7e]/gu, (char) => encodeURIComponent(char)),
    )
    .join('; ');
}

function contextOf(context: ResponsePhaseContext): GroundingContext {
  const texts = context.request.request.messages
    .filter((message) => CONTEXT_ROLES.has(message.role))
    .map((message) => message.text);
  return new GroundingContext(texts);
}

export const hallucinationPlugin: PluginDefinition<HallucinationConfig> = {
  name: 'hallucination',
  configSchema,
  create: (config) => {
    if (!config.enabled) return plugin('hallucination', {});
    const effectFor = (context: ResponsePhaseContext, body: Uint8Array): ResponseBodyEffect | undefined => {
      if ((context.response.status ?? 0) >= 300) return undefined;
      if (!isIdentityEncoding(context.responseHeaders.get(HEADER.contentEncoding))) return undefined;
      const api = context.request.request.api;
      const answer = answerTextOfBytes(api, body);
      if (answer === undefined || !/\S/u.test(answer)) return undefined;
      const grounding = contextOf(context);
      const result = checkGrounding(answer, grounding);
      if (result.units.length === 0) return undefined;
      if (!grounding.hasFacts) {
        if (config.unverified_factual_action === 'none') return undefined;
        if (config.unverified_factual_action === 'body') {
          const replaced = prependAnswerText(api, body, `${UNVERIFIED_WARNING}\n\n`);
          return replaced ? { kind: 'annotate', body: replaced } : undefined;
        }
        return {
          kind: 'annotate',
          setHeaders: [
            [HEADER.vsrFactCheckNeeded, 'true'],
            [HEADER.vsrUnverifiedFactualResponse, 'true'],
            [HEADER.vsrVerificationContextMissing, 'true'],
          ],
        };
      }
      if (result.unsupported.length === 0 || config.hallucination_action === 'none') return undefined;
      if (config.hallucination_action === 'body') {
        const warning = hallucinationWarning(result, config.include_hallucination_details);
        const replaced = prependAnswerText(api, body, `${warning}\n\n`);
        return replaced ? { kind: 'annotate', body: replaced } : undefined;
      }
      const headers: HeaderPair[] = [
        [HEADER.vsrFactCheckNeeded, 'true'],
        [HEADER.vsrHallucinationDetected, 'true'],
      ];
      if (config.include_hallucination_details)
        headers.push([HEADER.vsrHallucinationSpans, spanHeader(result)]);
      return { kind: 'annotate', setHeaders: headers };
    };
    return plugin('hallucination', {
      ignoresStreamedBody: true,
      onResponseBody: (context, chunk, endOfStream) =>
        !context.response.streaming && endOfStream ? effectFor(context, chunk) : undefined,
    });
  },
};
