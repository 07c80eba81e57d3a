// The frames that end a streamed answer with an error, in the request API's stream shape, so that the client's SSE
// parser (OpenAI, Anthropic SDKs) raises the error instead of failing on a cut stream.

import { sseFrame } from '../request/apis/answers.ts';
import { anthropicErrorType } from '../request/apis/anthropic-messages.ts';
import type { ErrorAnswer, LlmApi } from '../request/apis/types.ts';

export function streamErrorFrames(api: LlmApi, error: ErrorAnswer): Uint8Array {
  const status = error.httpStatus ?? 500;
  let frames: string;
  switch (api) {
    case 'chat_completions':
    case 'completions':
      // The OpenAI SDKs raise APIError on a data frame carrying `error`; `[DONE]` ends the stream as usual.
      frames =
        sseFrame(undefined, {
          error: { message: error.message, type: error.errorType, code: error.code, param: null },
        }) + sseFrame(undefined, '[DONE]');
      break;
    case 'responses':
      frames = sseFrame('error', { type: 'error', code: error.code, message: error.message, param: null });
      break;
    case 'messages':
      frames = sseFrame('error', {
        type: 'error',
        error: { type: anthropicErrorType(status), message: error.message },
      });
      break;
  }
  return Buffer.from(frames, 'utf8');
}
