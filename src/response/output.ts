// What counts as generated output in each API's stream frames: the frames that time the first and last token.
import { isObject, type JsonObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';

/** A value that carries something: a non-empty string or array, or an object. */
function carries(value: unknown): boolean {
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  return isObject(value);
}

/**
 * A chat/completions choice carries generated output: delta `content`, `reasoning_content` (DeepSeek, older vLLM),
 * `reasoning` (current vLLM), `refusal`, `tool_calls`, `function_call`, `audio`; a completion's `text`. The
 * opening role chunk (`content: ''`) and the finish chunk (`delta: {}`) carry none.
 */
export function choiceHasOutput(choice: unknown): boolean {
  if (!isObject(choice)) return false;
  const delta = choice.delta;
  if (isObject(delta)) {
    return (
      carries(delta.content) ||
      carries(delta.reasoning_content) ||
      carries(delta.reasoning) ||
      carries(delta.refusal) ||
      carries(delta.tool_calls) ||
      carries(delta.function_call) ||
      carries(delta.audio)
    );
  }
  return carries(choice.text);
}

/**
 * An Anthropic `content_block_delta` carries output unless it is an empty text / thinking / JSON fragment or a
 * `signature_delta` (the signature of a thinking block, no token; vLLM sends a made-up one as the block ends).
 */
export function anthropicDeltaHasOutput(delta: unknown): boolean {
  if (!isObject(delta) || delta.type === 'signature_delta') return false;
  for (const key of ['text', 'thinking', 'partial_json']) {
    const value = delta[key];
    if (typeof value === 'string') return value.length > 0;
  }
  return true;
}

/**
 * The one output string of a parsed frame whose output is that string and nothing else (no usage, no error, one
 * choice, no tool call), else undefined: with that string emptied, the predicates above find no output in the frame
 * (the contract OutputFrameShapes relies on).
 */
export function soleOutputString(api: LlmApi, json: JsonObject): string | undefined {
  switch (api) {
    case 'chat_completions':
    case 'completions':
      return chunkOutput(json);
    case 'messages':
      return messageEventOutput(json);
    case 'responses':
      // Every Responses event has its own `sequence_number`: no two share a shape.
      return undefined;
  }
}

function chunkOutput(json: JsonObject): string | undefined {
  if ((json.usage ?? null) !== null || (json.error ?? null) !== null) return undefined;
  const { choices } = json;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice: unknown = choices[0];
  if (!isObject(choice)) return undefined;
  const { delta } = choice;
  if (!isObject(delta))
    return typeof choice.text === 'string' && choice.text.length > 0 ? choice.text : undefined;
  if (carries(delta.tool_calls) || carries(delta.function_call) || carries(delta.audio)) return undefined;
  let found: string | undefined;
  for (const key of ['content', 'reasoning_content', 'reasoning', 'refusal']) {
    const value = delta[key];
    if (!carries(value)) continue;
    if (typeof value !== 'string' || found !== undefined) return undefined;
    found = value;
  }
  return found;
}

function messageEventOutput(json: JsonObject): string | undefined {
  if (json.type !== 'content_block_delta' || !isObject(json.delta)) return undefined;
  const { delta } = json;
  if (delta.type === 'signature_delta') return undefined;
  const strings = ['text', 'thinking', 'partial_json']
    .map((key) => delta[key])
    .filter((v) => typeof v === 'string');
  return strings.length === 1 && (strings[0] as string).length > 0 ? (strings[0] as string) : undefined;
}
