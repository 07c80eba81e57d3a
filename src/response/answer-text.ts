// The assistant's answer text in each LLM API's shapes: a whole JSON answer, and the text deltas of its stream frames.
// What the response-side checks (response_jailbreak, hallucination) read; tool calls and reasoning are not the answer.
import { isObject } from '../request/apis/fields.ts';
import type { LlmApi } from '../request/apis/types.ts';

const utf8 = new TextDecoder('utf-8');

function textParts(content: unknown, partTypes: ReadonlySet<string>): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const texts: string[] = [];
  for (const part of content) {
    if (isObject(part) && typeof part.text === 'string' && partTypes.has(String(part.type ?? 'text')))
      texts.push(part.text);
  }
  return texts;
}

const CHAT_PARTS = new Set(['text', 'output_text']);
const RESPONSES_PARTS = new Set(['output_text']);
const ANTHROPIC_PARTS = new Set(['text']);

/** The answer text of a parsed JSON answer (every choice / output message, newline-joined); '' when it has none. */
export function answerTextOfJson(api: LlmApi, body: unknown): string {
  if (!isObject(body)) return '';
  const texts: string[] = [];
  switch (api) {
    case 'chat_completions':
      for (const choice of Array.isArray(body.choices) ? body.choices : []) {
        if (isObject(choice) && isObject(choice.message))
          texts.push(...textParts(choice.message.content, CHAT_PARTS));
      }
      break;
    case 'completions':
      for (const choice of Array.isArray(body.choices) ? body.choices : []) {
        if (isObject(choice) && typeof choice.text === 'string') texts.push(choice.text);
      }
      break;
    case 'responses':
      for (const item of Array.isArray(body.output) ? body.output : []) {
        if (isObject(item) && item.type === 'message')
          texts.push(...textParts(item.content, RESPONSES_PARTS));
      }
      break;
    case 'messages':
      texts.push(...textParts(body.content, ANTHROPIC_PARTS));
      break;
  }
  return texts.join('\n');
}

/** The answer text of a JSON answer's bytes; undefined when they are not JSON. */
export function answerTextOfBytes(api: LlmApi, bytes: Uint8Array): string | undefined {
  try {
    return answerTextOfJson(api, JSON.parse(utf8.decode(bytes)));
  } catch {
    return undefined;
  }
}

/** The answer text one stream frame adds (its `data` parsed as JSON); '' for frames that add none. */
export function answerDeltaOfFrame(api: LlmApi, event: string | undefined, data: unknown): string {
  if (!isObject(data)) return '';
  switch (api) {
    case 'chat_completions': {
      let text = '';
      for (const choice of Array.isArray(data.choices) ? data.choices : []) {
        if (isObject(choice) && isObject(choice.delta) && typeof choice.delta.content === 'string')
          text += choice.delta.content;
      }
      return text;
    }
    case 'completions': {
      let text = '';
      for (const choice of Array.isArray(data.choices) ? data.choices : []) {
        if (isObject(choice) && typeof choice.text === 'string') text += choice.text;
      }
      return text;
    }
    case 'responses':
      return (event ?? data.type) === 'response.output_text.delta' && typeof data.delta === 'string'
        ? data.delta
        : '';
    case 'messages':
      return data.type === 'content_block_delta' &&
        isObject(data.delta) &&
        data.delta.type === 'text_delta' &&
        typeof data.delta.text === 'string'
        ? data.delta.text
        : '';
  }
}

function prependToParts(content: unknown, prefix: string, partType: string): unknown {
  if (typeof content === 'string') return `${prefix}${content}`;
  if (!Array.isArray(content)) return content;
  const at = content.findIndex(
    (part) => isObject(part) && part.type === partType && typeof part.text === 'string',
  );
  if (at < 0) return content;
  return content.map((part, i) =>
    i === at && isObject(part) ? { ...part, text: `${prefix}${String(part.text)}` } : part,
  );
}

/**
 * A JSON answer with `prefix` put before its answer text (each choice's, or the first text part of the message), as
 * the peer's body warnings do; undefined when the bytes are not a JSON answer with text.
 */
export function prependAnswerText(api: LlmApi, bytes: Uint8Array, prefix: string): Uint8Array | undefined {
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  if (!isObject(body)) return undefined;
  const out: Record<string, unknown> = { ...body };
  switch (api) {
    case 'chat_completions':
      if (!Array.isArray(body.choices)) return undefined;
      out.choices = body.choices.map((choice) =>
        isObject(choice) && isObject(choice.message)
          ? {
              ...choice,
              message: { ...choice.message, content: prependToParts(choice.message.content, prefix, 'text') },
            }
          : choice,
      );
      break;
    case 'completions':
      if (!Array.isArray(body.choices)) return undefined;
      out.choices = body.choices.map((choice) =>
        isObject(choice) && typeof choice.text === 'string'
          ? { ...choice, text: `${prefix}${choice.text}` }
          : choice,
      );
      break;
    case 'responses':
      if (!Array.isArray(body.output)) return undefined;
      out.output = body.output.map((item) =>
        isObject(item) && item.type === 'message'
          ? { ...item, content: prependToParts(item.content, prefix, 'output_text') }
          : item,
      );
      break;
    case 'messages':
      out.content = prependToParts(body.content, prefix, 'text');
      break;
  }
  return Buffer.from(JSON.stringify(out), 'utf8');
}
