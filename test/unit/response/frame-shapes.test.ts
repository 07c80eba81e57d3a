// Output frames recognised by shape must be read exactly as a full parse reads them.
import { describe, expect, it, vi } from 'vitest';
import { sseFrame } from '../../../src/request/apis/answers.ts';
import type { LlmApi } from '../../../src/request/apis/types.ts';
import { isJsonStringBody, OutputFrameShapes } from '../../../src/response/frame-shapes.ts';
import { soleOutputString } from '../../../src/response/output.ts';
import { SseParser } from '../../../src/response/sse-parser.ts';
import { StreamResponseReader } from '../../../src/response/stream-reader.ts';
import { seededRandom } from '../../../src/seeded-random.ts';
import {
  anthropicStream,
  bytes,
  cut,
  readStream,
  type Stream,
  tokens,
  vllmChatStream,
  vllmCompletionStream,
  withLineEnding,
} from './streams.ts';

describe('isJsonStringBody', () => {
  it.each<[string, boolean]>([
    ['', true],
    ['plain text', true],
    ['日本語 🚀', true],
    ['escaped \\" quote', true],
    ['\\\\ \\/ \\b \\f \\n \\r \\t', true],
    ['\\u00e9\\uD83D\\uDE80', true],
    ['unescaped " quote', false],
    ['a raw \n newline', false],
    ['a raw \u0001 control', false],
    ['a bad escape \\x41', false],
    ['a short unicode escape \\u12', false],
    ['a non-hex unicode escape \\u12G4', false],
    ['a trailing backslash \\', false],
    ['an escaped backslash then a quote \\\\"', false],
  ])('%j → %s', (body, expected) => {
    expect(isJsonStringBody(body, 0, body.length)).toBe(expected);
    // Against the reference: JSON.parse of the body in quotes.
    let parses = true;
    try {
      JSON.parse(`"${body}"`);
    } catch {
      parses = false;
    }
    expect(parses).toBe(expected);
  });
});

describe('soleOutputString', () => {
  it.each<[string, LlmApi, unknown, string | undefined]>([
    ['chat content', 'chat_completions', { choices: [{ index: 0, delta: { content: 'Hi' } }] }, 'Hi'],
    ['chat reasoning', 'chat_completions', { choices: [{ index: 0, delta: { reasoning: 'Hm' } }] }, 'Hm'],
    [
      'OpenAI usage: null is no usage',
      'chat_completions',
      { choices: [{ delta: { content: 'a' } }], usage: null },
      'a',
    ],
    [
      'the role chunk has none',
      'chat_completions',
      { choices: [{ delta: { role: 'assistant', content: '' } }] },
      undefined,
    ],
    [
      'content and reasoning together',
      'chat_completions',
      { choices: [{ delta: { content: 'a', reasoning: 'b' } }] },
      undefined,
    ],
    [
      'a tool call',
      'chat_completions',
      { choices: [{ delta: { content: 'a', tool_calls: [{ index: 0 }] } }] },
      undefined,
    ],
    [
      'two choices',
      'chat_completions',
      { choices: [{ delta: { content: 'a' } }, { delta: { content: 'b' } }] },
      undefined,
    ],
    [
      'usage',
      'chat_completions',
      { choices: [{ delta: { content: 'a' } }], usage: { prompt_tokens: 1 } },
      undefined,
    ],
    [
      'content parts',
      'chat_completions',
      { choices: [{ delta: { content: [{ type: 'text', text: 'a' }] } }] },
      undefined,
    ],
    ['completion text', 'completions', { choices: [{ index: 0, text: ' the' }] }, ' the'],
    [
      'Anthropic text delta',
      'messages',
      { type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } },
      'x',
    ],
    [
      'Anthropic signature',
      'messages',
      { type: 'content_block_delta', delta: { type: 'signature_delta', signature: 's' } },
      undefined,
    ],
    [
      'Anthropic message_delta',
      'messages',
      { type: 'message_delta', usage: { output_tokens: 1 } },
      undefined,
    ],
    ['Responses events never', 'responses', { type: 'response.output_text.delta', delta: 'x' }, undefined],
  ])('%s', (_label, api, json, expected) => {
    expect(soleOutputString(api, json as Record<string, unknown>)).toBe(expected);
  });
});

describe('OutputFrameShapes', () => {
  const chunk = (content: string, extra = '') =>
    `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":null}]${extra}}`;

  it('learns a shape from a parsed frame and recognises frames of that shape', () => {
    const shapes = new OutputFrameShapes('chat_completions');
    expect(shapes.match(undefined, chunk('a'))).toBeUndefined();
    shapes.learn(undefined, chunk('Hello'), JSON.parse(chunk('Hello')));
    expect(shapes.match(undefined, chunk(' world'))).toBe(true);
    expect(shapes.match(undefined, chunk('日本 "q" \\ \n'))).toBe(true);
    expect(shapes.match(undefined, chunk(''))).toBe(false);
    // Another event name, another shape, broken JSON: not recognised.
    expect(shapes.match('message', chunk('x'))).toBeUndefined();
    expect(shapes.match(undefined, chunk('x', ',"usage":{"prompt_tokens":1}'))).toBeUndefined();
    expect(shapes.match(undefined, chunk('x').replace('"x"', '"x"y"'))).toBeUndefined();
  });

  it('does not learn from a literal that occurs twice (it could be another field)', () => {
    const shapes = new OutputFrameShapes('chat_completions');
    const data = chunk('m'); // the model is also "m"
    shapes.learn(undefined, data, JSON.parse(data));
    expect(shapes.match(undefined, chunk('other'))).toBeUndefined();
  });

  it('does not learn from a literal that is another field (the output written with escapes)', () => {
    const shapes = new OutputFrameShapes('chat_completions');
    const data = (x: string) =>
      `{"choices":[{"index":0,"delta":{"content":"H\\u0069"}}],"x":${JSON.stringify(x)}}`;
    shapes.learn(undefined, data('Hi'), JSON.parse(data('Hi')));
    // Were "x" taken for the output, an empty x would read as a frame without output; its content is "Hi".
    expect(shapes.match(undefined, data(''))).toBeUndefined();
  });

  it('learns with spaces after separators (Python json.dumps) and other key orders', () => {
    const data = '{"type": "content_block_delta", "index": 0, "delta": {"text": "Hi", "type": "text_delta"}}';
    const shapes = new OutputFrameShapes('messages');
    shapes.learn('content_block_delta', data, JSON.parse(data));
    expect(shapes.match('content_block_delta', data.replace('"Hi"', '"there"'))).toBe(true);
  });

  /** Frames of a stream, some cut or changed so that they are no longer valid JSON or of another shape. */
  function mutatedFrames(seed: number): { event: string | undefined; data: string }[] {
    const random = seededRandom(seed);
    const base = [
      ...vllmChatStream({ contentTokens: tokens(20), reasoningTokens: tokens(5) }).frames,
      ...anthropicStream('A few words of text for the deltas to carry along.').frames,
    ].map((f) => {
      const text = f.text.replace(/\n\n$/, '');
      const event = text.startsWith('event: ') ? text.slice(7, text.indexOf('\n')) : undefined;
      return { event, data: text.slice(text.indexOf('data: ') + 6) };
    });
    const edits = ['"', '\\', '\\u', '\\u00e9', '\u0001', '}', '{', ']', ',"x":1', 'é', '', ' '];
    return base.map((frame) => {
      if (random() < 0.5) return frame;
      const at = Math.floor(random() * frame.data.length);
      const edit = edits[Math.floor(random() * edits.length)] as string;
      const cutLength = Math.floor(random() * 3);
      return { ...frame, data: frame.data.slice(0, at) + edit + frame.data.slice(at + cutLength) };
    });
  }

  it('never changes what the reader observes (fuzz against a full parse of every frame)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      for (const api of ['chat_completions', 'messages'] as const) {
        const frames = mutatedFrames(seed);
        const text = frames.map((f) => sseFrame(f.event, f.data)).join('');
        const reader = new StreamResponseReader(api, { stripUsageOnlyFrames: true, now: () => 0 });
        reader.push(Buffer.from(text));
        reader.end();
        // The reference: each frame read by a reader of its own, which has learnt no shape yet.
        let tokenFrames = 0;
        let unparsed = 0;
        for (const f of frames) {
          const alone = new StreamResponseReader(api, { stripUsageOnlyFrames: true, now: () => 0 });
          alone.push(Buffer.from(sseFrame(f.event, f.data)));
          alone.end();
          tokenFrames += alone.tokenFrames;
          unparsed += alone.unparsedFrames;
        }
        expect([seed, api, reader.tokenFrames, reader.unparsedFrames]).toEqual([
          seed,
          api,
          tokenFrames,
          unparsed,
        ]);
      }
    }
  });

  it('recognises most frames of a vLLM stream without parsing them', () => {
    let parses = 0;
    const parse = JSON.parse;
    JSON.parse = ((text: string) => {
      parses++;
      return parse(text);
    }) as typeof JSON.parse;
    try {
      for (const stream of [
        vllmChatStream({ contentTokens: tokens(100) }),
        vllmCompletionStream(tokens(100)),
      ]) {
        parses = 0;
        const reader = new StreamResponseReader(stream.api, { stripUsageOnlyFrames: true, now: () => 0 });
        reader.push(bytes(stream));
        reader.end();
        expect(reader.tokenFrames).toBe(100);
        expect(parses).toBeLessThan(10);
      }
    } finally {
      JSON.parse = parse;
    }
  });

  /** A stream's bytes with edits at the SSE level: line breaks, comments, ids, fields, BOMs, broken frames. */
  function mutatedRawStream(stream: Stream, seed: number): Uint8Array {
    const random = seededRandom(seed);
    const edits = [
      '\n',
      '\r',
      '\r\n',
      '\n\n',
      ': keep-alive\n',
      'id: 7\n',
      'event: x\n',
      '\uFEFF',
      '"',
      '',
      'data: ',
    ];
    return Buffer.from(
      stream.frames
        .map((f) => {
          if (random() < 0.7) return f.text;
          const at = Math.floor(random() * f.text.length);
          const edit = edits[Math.floor(random() * edits.length)] as string;
          return f.text.slice(0, at) + edit + f.text.slice(at + Math.floor(random() * 2));
        })
        .join(''),
    );
  }

  /** Cuts at frame ends (where the raw fast path applies), often several frames a chunk, and a few anywhere. */
  function frameAlignedCuts(data: Uint8Array, seed: number): Uint8Array[] {
    const random = seededRandom(seed);
    const text = Buffer.from(data).toString('latin1');
    const offsets = new Set<number>();
    for (let at = text.indexOf('\n\n'); at >= 0; at = text.indexOf('\n\n', at + 1))
      if (random() < 0.6) offsets.add(at + 2);
    for (let i = 0; i < 3; i++) offsets.add(1 + Math.floor(random() * (data.length - 1)));
    return cut(
      data,
      [...offsets].sort((a, b) => a - b),
    );
  }

  it('reads frames of a known raw shape without the parser exactly as the parser reads them', () => {
    const streams = [
      vllmChatStream({ contentTokens: tokens(30), reasoningTokens: tokens(4), includeUsage: true }),
      withLineEnding(vllmChatStream({ contentTokens: tokens(10), includeUsage: true }), '\r\n'),
      vllmCompletionStream(tokens(20)),
      anthropicStream('A few words of text for the deltas to carry along.'),
    ];
    const observed = (r: ReturnType<typeof readStream>) => ({
      forwarded: r.forwarded.toString('latin1'),
      usage: r.usage,
      tokenFrames: r.tokenFrames,
      done: r.done,
      unparsedFrames: r.unparsedFrames,
      strippedFrames: r.strippedFrames,
      error: r.error,
    });
    for (let seed = 1; seed <= 150; seed++) {
      for (const stream of streams) {
        const data = seed <= 10 ? bytes(stream) : mutatedRawStream(stream, seed);
        // Byte by byte no chunk ever holds a whole frame: the parser reads every frame (the reference).
        const reference = readStream(stream.api, cut(data, [...data.keys()].slice(1)), true);
        const fast = readStream(stream.api, frameAlignedCuts(data, seed), true);
        expect({ seed, label: stream.label, ...observed(fast) }).toEqual({
          seed,
          label: stream.label,
          ...observed(reference),
        });
      }
    }
  });

  it('leaves whole output frames of a learnt raw shape to the fast path', () => {
    const stream = vllmChatStream({ contentTokens: tokens(200), includeUsage: true });
    const parse = vi.spyOn(SseParser.prototype, 'push');
    try {
      const read = readStream(
        stream.api,
        stream.frames.map((f) => Buffer.from(f.text)),
        true,
      );
      expect(read.tokenFrames).toBe(200);
      expect(read.usage?.completionTokens).toBeGreaterThan(0);
      // The role chunk, the first content chunks (until a shape is learnt), the finish, usage and [DONE] chunks.
      expect(parse.mock.calls.length).toBeLessThan(10);
    } finally {
      parse.mockRestore();
    }
  });

  it('does not take the rest of an oversized frame for an output frame', () => {
    const frame = (content: string) => Buffer.from(sseFrame(undefined, chunk(content)));
    const reader = new StreamResponseReader('chat_completions', {
      stripUsageOnlyFrames: false,
      now: () => 0,
      maxFrameBytes: 1024,
    });
    reader.push(Buffer.concat([frame('a'), frame('b')]));
    expect(reader.tokenFrames).toBe(2);
    // A frame over the limit, cut mid-line: its next chunk looks like an output frame but ends the long line.
    reader.push(Buffer.from(`: ${'x'.repeat(2000)}`));
    reader.push(frame('c'));
    expect(reader.tokenFrames).toBe(2);
    expect(reader.unparsedFrames).toBe(1);
    reader.push(frame('d'));
    expect(reader.tokenFrames).toBe(3);
  });
});
