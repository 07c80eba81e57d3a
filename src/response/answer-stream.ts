// A streamed (SSE) answer read frame by frame for a response check: the chunk's bytes are passed on only up to the
// last complete frame (the rest is held until its frame completes), so that a check may end the stream at a frame
// boundary with a frame of its own, and the answer text the frames carry is returned as it arrives.
import type { LlmApi } from '../request/apis/types.ts';
import { answerDeltaOfFrame } from './answer-text.ts';
import { type SseFrame, SseParser } from './sse-parser.ts';

export interface AnswerStreamStep {
  /** The bytes to send the client for this chunk: the frames it completed, whole. */
  readonly bytes: Uint8Array;
  /** Whether `bytes` differ from the chunk (part of it is held back, or an earlier part is released). */
  readonly changed: boolean;
  /** Answer text the completed frames carry. */
  readonly text: string;
}

function concat(frames: readonly SseFrame[]): Uint8Array {
  if (frames.length === 1) return (frames[0] as SseFrame).raw;
  return Buffer.concat(frames.map((frame) => frame.raw));
}

export class AnswerStream {
  readonly #api: LlmApi;
  readonly #parser = new SseParser();

  constructor(api: LlmApi) {
    this.#api = api;
  }

  push(chunk: Uint8Array, endOfStream: boolean): AnswerStreamStep {
    const heldBefore = this.#parser.bufferedBytes;
    const frames = this.#parser.push(chunk);
    if (endOfStream) frames.push(...this.#parser.end());
    let text = '';
    for (const frame of frames) {
      if (!frame.hasData || frame.data === '[DONE]' || frame.oversized) continue;
      try {
        text += answerDeltaOfFrame(this.#api, frame.event, JSON.parse(frame.data));
      } catch {
        // Not JSON: no answer text (the client's own parser decides what to make of it).
      }
    }
    const changed = heldBefore > 0 || this.#parser.bufferedBytes > 0;
    return { bytes: changed ? concat(frames) : chunk, changed, text };
  }
}
