// The answer text response checks read, in each API's JSON answer and stream frames; and a warning put before it.
import { describe, expect, it } from 'vitest';
import { AnswerStream } from '../../../src/response/answer-stream.ts';
import { answerTextOfJson, prependAnswerText } from '../../../src/response/answer-text.ts';

const ANSWERS = {
  chat_completions: {
    choices: [
      { message: { role: 'assistant', content: 'Paris.', tool_calls: [{ function: { arguments: '{}' } }] } },
    ],
  },
  completions: { choices: [{ text: 'Paris.' }] },
  responses: {
    output: [
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] },
      { type: 'message', content: [{ type: 'output_text', text: 'Paris.' }] },
    ],
  },
  messages: {
    content: [
      { type: 'thinking', thinking: 'hmm' },
      { type: 'text', text: 'Paris.' },
    ],
  },
} as const;

describe('answer text', () => {
  it.each(Object.entries(ANSWERS))(
    'reads the answer of a %s JSON answer, not its reasoning or tool calls',
    (api, body) => {
      expect(answerTextOfJson(api as keyof typeof ANSWERS, body)).toBe('Paris.');
    },
  );

  it.each(Object.entries(ANSWERS))('puts a warning before the answer of a %s answer', (api, body) => {
    const bytes = prependAnswerText(api as keyof typeof ANSWERS, Buffer.from(JSON.stringify(body)), '[W] ');
    const read = JSON.parse(Buffer.from(bytes as Uint8Array).toString('utf8')) as unknown;
    expect(answerTextOfJson(api as keyof typeof ANSWERS, read)).toBe('[W] Paris.');
  });

  it.each([
    [
      'messages',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Par"}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"x"}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"is."}}\n\n',
    ],
    [
      'responses',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Par"}\n\nevent: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"is."}\n\n',
    ],
    [
      'completions',
      'data: {"choices":[{"text":"Par"}]}\n\ndata: {"choices":[{"text":"is."}]}\n\ndata: [DONE]\n\n',
    ],
  ] as const)(
    'reads the text deltas of a %s stream cut anywhere, passing on whole frames only',
    (api, stream) => {
      for (const cut of [1, 7, 50]) {
        const reader = new AnswerStream(api);
        let text = '';
        const sent: Uint8Array[] = [];
        for (let at = 0; at < stream.length; at += cut) {
          const end = at + cut >= stream.length;
          const step = reader.push(Buffer.from(stream.slice(at, at + cut)), end);
          text += step.text;
          sent.push(step.bytes);
          // Whatever was passed on so far ends at a frame boundary.
          expect(Buffer.concat(sent).toString().endsWith('\n\n') || Buffer.concat(sent).length === 0).toBe(
            true,
          );
        }
        expect(text).toBe('Paris.');
        expect(Buffer.concat(sent).toString()).toBe(stream);
      }
    },
  );
});
