// Why an answer ended, in one vocabulary across the four APIs: `stop` (the model finished), `length` (cut off by the
// token limit), `content_filter` (refused or filtered), `tool_calls` (it asked for a tool), `other`.
import { isObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

const REASONS: ReadonlyMap<string, FinishReason> = new Map([
  // OpenAI chat / completions, vLLM, SGLang, TGI
  ['stop', 'stop'],
  ['eos_token', 'stop'],
  ['length', 'length'],
  ['content_filter', 'content_filter'],
  ['tool_calls', 'tool_calls'],
  ['function_call', 'tool_calls'],
  // Anthropic Messages
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['max_tokens', 'length'],
  ['tool_use', 'tool_calls'],
  ['refusal', 'content_filter'],
  // Responses `incomplete_details.reason`
  ['max_output_tokens', 'length'],
]);

/** A server's finish reason in the shared vocabulary; undefined for null or a non-string (not finished yet). */
export function normaliseFinishReason(raw: unknown): FinishReason | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  return REASONS.get(raw) ?? 'other';
}

/** Responses: `completed` is a stop; `incomplete` says why in `incomplete_details.reason`. */
export function responsesFinishReason(response: unknown): FinishReason | undefined {
  if (!isObject(response)) return undefined;
  if (response.status === 'completed') return 'stop';
  if (response.status !== 'incomplete') return undefined;
  const details = response.incomplete_details;
  return (isObject(details) ? normaliseFinishReason(details.reason) : undefined) ?? 'other';
}

/** The first choice's finish reason of a chat or completions chunk or answer. */
export function choicesFinishReason(choices: unknown): FinishReason | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const choice of choices) {
    const reason = isObject(choice) ? normaliseFinishReason(choice.finish_reason) : undefined;
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** Why a whole JSON answer ended. */
export function finishReasonFromJson(api: LlmApi, body: unknown): FinishReason | undefined {
  if (!isObject(body)) return undefined;
  switch (api) {
    case 'chat_completions':
    case 'completions':
      return choicesFinishReason(body.choices);
    case 'responses':
      return responsesFinishReason(body);
    case 'messages':
      return normaliseFinishReason(body.stop_reason);
  }
}
