// A looper's combined answer as the router's immediate response to a chat completions request: one JSON chat
// completion, or SSE chunks with the summed usage and `data: [DONE]` for a streaming client.
import { HEADER } from '../../headers.ts';
import type { HeaderPair, ImmediateResult } from '../../mutations.ts';
import { answerId, jsonAnswer, sseAnswer, unixSeconds } from '../../request/apis/answers.ts';
import { chatCompletionFrames, chatCompletionObject } from '../../request/apis/chat-completions.ts';
import { LOOPER_ALGORITHM_HEADER } from './looper-caller.ts';
import type { LooperAnswer } from './looper-run.ts';

export function looperAnswerResult(
  answer: LooperAnswer,
  stream: boolean,
  diagnostics: readonly HeaderPair[],
): ImmediateResult {
  const { promptTokens, completionTokens } = answer.usage;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const options = {
    id: answerId('chatcmpl-'),
    created: unixSeconds(),
    model: answer.model,
    text: answer.content,
    usage,
  };
  const headers: HeaderPair[] = [
    ...diagnostics,
    [HEADER.selectedModel, answer.model],
    [LOOPER_ALGORITHM_HEADER, answer.algorithm],
  ];
  const details = `semantic_router_looper_${answer.algorithm}`;
  if (stream) return sseAnswer(chatCompletionFrames(options), details, headers);
  const body = chatCompletionObject(options);
  if (answer.intermediate)
    body.intermediate_responses = answer.intermediate.map((r) => ({ model: r.model, content: r.content }));
  return jsonAnswer(200, body, details, headers);
}
