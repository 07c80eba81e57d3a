// SseParser: the WHATWG event-stream rules, exact frame bytes, chunks cut anywhere, bounded memory.
import { describe, expect, it } from 'vitest';
import { type SseFrame, SseParser } from '../../../src/response/sse-parser.ts';
import { seededRandom } from '../../../src/seeded-random.ts';
import { bytes, chunksOf, cut, realisticStreams, type Stream, withLineEnding } from './streams.ts';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

interface Seen {
  readonly event: string | undefined;
  readonly data: string;
  readonly hasData: boolean;
  readonly id: string | undefined;
  readonly unknownFields: number;
  readonly raw: string;
  readonly oversized: boolean;
}

/** Frames in a comparable form; the pieces of an oversized frame merged into one. */
function seen(frames: readonly SseFrame[]): Seen[] {
  const result: Seen[] = [];
  let pieces: Uint8Array[] = [];
  for (const frame of frames) {
    if (frame.oversized) {
      pieces.push(frame.raw);
      if (frame.partial) continue;
      result.push({
        event: undefined,
        data: '',
        hasData: false,
        id: undefined,
        unknownFields: 0,
        raw: Buffer.concat(pieces).toString('latin1'),
        oversized: true,
      });
      pieces = [];
      continue;
    }
    if (pieces.length > 0) throw new Error('an oversized frame ended without its last piece');
    result.push({
      event: frame.event,
      data: frame.data,
      hasData: frame.hasData,
      id: frame.id,
      unknownFields: frame.unknownFields,
      raw: Buffer.from(frame.raw).toString('latin1'),
      oversized: false,
    });
  }
  return result;
}

function parse(chunks: readonly Uint8Array[], maxFrameBytes?: number): SseFrame[] {
  const parser = new SseParser(maxFrameBytes === undefined ? {} : { maxFrameBytes });
  const frames: SseFrame[] = [];
  for (const chunk of chunks) frames.push(...parser.push(chunk));
  frames.push(...parser.end());
  return frames;
}

const whole = (text: string) => seen(parse([utf8(text)]));

describe('SseParser: the event-stream format', () => {
  const frame = (fields: Partial<Seen> & { raw: string }): Seen => ({
    event: undefined,
    data: '',
    hasData: true,
    id: undefined,
    unknownFields: 0,
    oversized: false,
    ...fields,
    raw: utf8(fields.raw).toString('latin1'),
  });

  it.each<[string, string, Seen[]]>([
    ['one data line', 'data: hello\n\n', [frame({ data: 'hello', raw: 'data: hello\n\n' })]],
    [
      'an event name',
      'event: message_start\ndata: {"type":"message_start"}\n\n',
      [
        frame({
          event: 'message_start',
          data: '{"type":"message_start"}',
          raw: 'event: message_start\ndata: {"type":"message_start"}\n\n',
        }),
      ],
    ],
    ['CRLF line endings', 'data: a\r\n\r\n', [frame({ data: 'a', raw: 'data: a\r\n\r\n' })]],
    ['CR line endings', 'data: a\r\r', [frame({ data: 'a', raw: 'data: a\r\r' })]],
    [
      'mixed line endings',
      'data: a\rdata: b\r\n\n',
      [frame({ data: 'a\nb', raw: 'data: a\rdata: b\r\n\n' })],
    ],
    [
      'several data lines joined by LF',
      'data: {"a":\ndata: 1}\n\n',
      [frame({ data: '{"a":\n1}', raw: 'data: {"a":\ndata: 1}\n\n' })],
    ],
    ['no space after the colon', 'data:x\n\n', [frame({ data: 'x', raw: 'data:x\n\n' })]],
    ['only one leading space is removed', 'data:  x \n\n', [frame({ data: ' x ', raw: 'data:  x \n\n' })]],
    ['a field name alone has an empty value', 'data\n\n', [frame({ data: '', raw: 'data\n\n' })]],
    ['an empty data line', 'data:\n\n', [frame({ data: '', raw: 'data:\n\n' })]],
    [
      'a comment-only frame (keep-alive) has no data',
      ': keep-alive\n\n',
      [frame({ hasData: false, raw: ': keep-alive\n\n' })],
    ],
    [
      'comments inside a frame are skipped',
      'data: a\n: note\ndata: b\n\n',
      [frame({ data: 'a\nb', raw: 'data: a\n: note\ndata: b\n\n' })],
    ],
    ['id', 'id: 42\ndata: x\n\n', [frame({ id: '42', data: 'x', raw: 'id: 42\ndata: x\n\n' })]],
    [
      'an id holding NUL is ignored',
      'id: a\0b\ndata: x\n\n',
      [frame({ data: 'x', raw: 'id: a\0b\ndata: x\n\n' })],
    ],
    ['retry is a known field', 'retry: 1000\n\n', [frame({ hasData: false, raw: 'retry: 1000\n\n' })]],
    [
      'unknown fields are counted',
      'foo: bar\ndata: x\n\n',
      [frame({ data: 'x', unknownFields: 1, raw: 'foo: bar\ndata: x\n\n' })],
    ],
    [
      'field names are case-sensitive',
      'Data: x\n\n',
      [frame({ hasData: false, unknownFields: 1, raw: 'Data: x\n\n' })],
    ],
    [
      'an empty event name is the default type',
      'event:\ndata: x\n\n',
      [frame({ data: 'x', raw: 'event:\ndata: x\n\n' })],
    ],
    [
      'a leading BOM is skipped (and kept in raw)',
      '\uFEFFdata: x\n\n',
      [frame({ data: 'x', raw: '\uFEFFdata: x\n\n' })],
    ],
    [
      'a BOM later on is part of the field name',
      'data: a\n\n\uFEFFdata: b\n\n',
      [
        frame({ data: 'a', raw: 'data: a\n\n' }),
        frame({ hasData: false, unknownFields: 1, raw: '\uFEFFdata: b\n\n' }),
      ],
    ],
    [
      'a BOM inside a value is kept',
      'data: \uFEFFx\n\n',
      [frame({ data: '\uFEFFx', raw: 'data: \uFEFFx\n\n' })],
    ],
    [
      'a stray blank line is a frame of its own',
      'data: a\n\n\ndata: b\n\n',
      [
        frame({ data: 'a', raw: 'data: a\n\n' }),
        frame({ hasData: false, raw: '\n' }),
        frame({ data: 'b', raw: 'data: b\n\n' }),
      ],
    ],
    [
      'end() flushes a frame without its blank line',
      'data: [DONE]',
      [frame({ data: '[DONE]', raw: 'data: [DONE]' })],
    ],
    ['end() flushes a frame after one line ending', 'data: x\n', [frame({ data: 'x', raw: 'data: x\n' })]],
    [
      'a value may hold colons',
      'data: {"a":"b:c"}\n\n',
      [frame({ data: '{"a":"b:c"}', raw: 'data: {"a":"b:c"}\n\n' })],
    ],
    ['multi-byte text', 'data: 日本語 🚀\n\n', [frame({ data: '日本語 🚀', raw: 'data: 日本語 🚀\n\n' })]],
    ['nothing at all', '', []],
  ])('%s', (_label, input, expected) => {
    expect(whole(input)).toEqual(expected);
  });

  it('replaces invalid UTF-8 with U+FFFD and goes on', () => {
    const input = Buffer.concat([utf8('data: a'), Buffer.from([0xff, 0xe6, 0x97]), utf8('b\n\ndata: c\n\n')]);
    const frames = parse([input]);
    expect(frames.map((f) => f.data)).toEqual(['a\uFFFD\uFFFDb', 'c']);
  });

  it('reports a frame as soon as its blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\n'))).toEqual([]);
    expect(parser.push(utf8('\ndata: b')).map((f) => f.data)).toEqual(['a']);
    expect(parser.bufferedBytes).toBe('data: b'.length);
  });

  it('waits for the byte after a CR that ends a chunk (it may be the first half of CRLF)', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\r\n\r'))).toEqual([]);
    const frames = parser.push(utf8('\ndata: b'));
    expect(frames.map((f) => Buffer.from(f.raw).toString())).toEqual(['data: a\r\n\r\n']);
    expect(parser.push(utf8('\r'))).toEqual([]);
    expect(parser.push(utf8('\r')).map((f) => f.data)).toEqual([]);
    expect(parser.end().map((f) => Buffer.from(f.raw).toString())).toEqual(['data: b\r\r']);
  });

  it('does not take the LF of a CRLF cut by a chunk boundary for a blank line', () => {
    const parser = new SseParser();
    expect(parser.push(utf8('data: a\r'))).toEqual([]);
    expect(parser.push(utf8('\ndata: b\r'))).toEqual([]);
    const frames = parser.push(utf8('\n\r\n'));
    expect(frames.map((f) => f.data)).toEqual(['a\nb']);
  });

  it('decodes a character cut by a chunk boundary', () => {
    const input = utf8('data: 日🚀\n\n');
    for (let at = 1; at < input.length; at++) {
      expect(parse(cut(input, [at])).map((f) => f.data)).toEqual(['日🚀']);
    }
  });

  it('skips a BOM cut by chunk boundaries, and only at the start of each stream', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from([0xef]))).toEqual([]);
    expect(parser.push(Buffer.from([0xbb]))).toEqual([]);
    expect(parser.push(utf8('\uFEFF').subarray(2))).toEqual([]);
    expect(parser.push(utf8('data: x\n\n')).map((f) => [f.data, f.raw.length])).toEqual([['x', 12]]);
    expect(parser.end()).toEqual([]);
    // end() resets: a new stream may start with a BOM again.
    expect(parser.push(utf8('\uFEFFdata: y\n\n')).map((f) => f.data)).toEqual(['y']);
  });

  it('gives a short stream that only looks like a BOM to end()', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from([0xef, 0xbb]))).toEqual([]);
    const frames = parser.end();
    expect(frames.map((f) => [f.hasData, f.unknownFields, f.raw.length])).toEqual([[false, 1, 2]]);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new SseParser({ maxFrameBytes: 0 })).toThrow(RangeError);
    expect(() => new SseParser({ maxFrameBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('SseParser: chunks cut anywhere give the same frames', () => {
  const streams: Stream[] = realisticStreams().flatMap((s) => [
    s,
    withLineEnding(s, '\r\n'),
    withLineEnding(s, '\r'),
  ]);
  const withBom = realisticStreams()[0] as Stream;
  const bomStream: Stream = {
    ...withBom,
    label: `${withBom.label} with BOM`,
    frames: [{ text: '\uFEFF' }, ...withBom.frames],
  };

  it.each([...streams, bomStream].map((s) => [s.label, s] as const))('%s', (_label, stream) => {
    const input = bytes(stream);
    const expected = seen(parse([input]));
    expect(expected.length).toBeGreaterThanOrEqual(stream.frames.length - (stream === bomStream ? 1 : 0));
    expect(expected.every((f) => f.hasData && !f.oversized)).toBe(true);
    expect(Buffer.from(expected.map((f) => f.raw).join(''), 'latin1').equals(Buffer.from(input))).toBe(true);
    const key = JSON.stringify(expected);
    const differing: string[] = [];
    // Two chunks, cut at every byte.
    for (let at = 0; at <= input.length; at++) {
      if (JSON.stringify(seen(parse(cut(input, [at])))) !== key) differing.push(`cut at ${at}`);
    }
    // One byte per chunk.
    if (JSON.stringify(seen(parse(chunksOf(input, 1)))) !== key) differing.push('1-byte chunks');
    // Random chunkings.
    const random = seededRandom(input.length);
    for (let run = 0; run < 50; run++) {
      const offsets: number[] = [];
      for (let at = 0; at < input.length; at += 1 + Math.floor(random() * 40)) offsets.push(at);
      if (JSON.stringify(seen(parse(cut(input, offsets)))) !== key)
        differing.push(`cuts ${offsets.join(',')}`);
    }
    expect(differing).toEqual([]);
  });
});

describe('SseParser: oversized frames', () => {
  const big = `data: ${'x'.repeat(300)}\n\n`;
  const input = utf8(`data: small\n\n${big}event: e\ndata: after\n\n`);

  it('reports a frame over the limit without its fields, in pieces, and the frames around it intact', () => {
    const frames = parse(chunksOf(input, 10), 64);
    const merged = seen(frames);
    expect(merged.map((f) => [f.data, f.oversized])).toEqual([
      ['small', false],
      ['', true],
      ['after', false],
    ]);
    expect(merged[1]?.raw).toBe(big);
    const pieces = frames.filter((f) => f.oversized);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.slice(0, -1).every((f) => f.partial)).toBe(true);
    expect(pieces.at(-1)?.partial).toBeUndefined();
  });

  it('never holds more than the limit between pushes', () => {
    const parser = new SseParser({ maxFrameBytes: 64 });
    for (const chunk of chunksOf(input, 7)) {
      parser.push(chunk);
      expect(parser.bufferedBytes).toBeLessThanOrEqual(64);
    }
  });

  it('reports a frame over the limit that arrives whole as one oversized frame', () => {
    const frames = parse([input], 64);
    expect(frames.map((f) => [f.data, f.oversized ?? false, f.partial ?? false])).toEqual([
      ['small', false, false],
      ['', true, false],
      ['after', false, false],
    ]);
  });

  it('ends an oversized frame that the stream ends without a blank line', () => {
    const frames = parse(chunksOf(utf8(`data: ${'y'.repeat(100)}`), 16), 32);
    expect(frames.every((f) => f.oversized)).toBe(true);
    expect(frames.at(-1)?.partial).toBeUndefined();
    expect(Buffer.concat(frames.map((f) => f.raw)).length).toBe(106);
  });

  it('keeps memory bounded on a 10 MiB body without a line break (default limit)', () => {
    const parser = new SseParser();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let reported = 0;
    for (let i = 0; i < 160; i++) {
      for (const frame of parser.push(chunk)) reported += frame.raw.length;
      expect(parser.bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
    }
    for (const frame of parser.end()) reported += frame.raw.length;
    expect(reported).toBe(160 * 64 * 1024);
  });
});

describe('SseParser: fuzz (fixed seed)', () => {
  // Bytes that make SSE structure, plus multi-byte, invalid UTF-8 and random bytes.
  const PIECES = [
    'data:',
    'data: ',
    'event: ',
    'id: ',
    'retry: ',
    ':',
    ' ',
    '\n',
    '\r',
    '\r\n',
    '\n\n',
    '{"a":1}',
    '[DONE]',
    '日',
    '🚀',
    '\uFEFF',
    'x',
  ].map(utf8);

  function randomInput(random: () => number): Uint8Array {
    const parts: Uint8Array[] = [];
    const count = Math.floor(random() * 80);
    for (let i = 0; i < count; i++) {
      const pick = random();
      if (pick < 0.8) parts.push(PIECES[Math.floor(random() * PIECES.length)] as Uint8Array);
      else
        parts.push(
          Uint8Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)),
        );
    }
    return Buffer.concat(parts);
  }

  it('never throws, reports every byte once, holds at most the limit, and ignores chunk boundaries', () => {
    const random = seededRandom(20_240_601);
    const maxFrameBytes = 48;
    for (let run = 0; run < 3000; run++) {
      const input = randomInput(random);
      const expected = seen(parse([input], maxFrameBytes));
      const parser = new SseParser({ maxFrameBytes });
      const frames: SseFrame[] = [];
      let at = 0;
      while (at < input.length) {
        const size = 1 + Math.floor(random() * 24);
        frames.push(...parser.push(input.subarray(at, at + size)));
        expect(parser.bufferedBytes).toBeLessThanOrEqual(maxFrameBytes);
        at += size;
      }
      frames.push(...parser.end());
      expect(Buffer.concat(frames.map((f) => f.raw)).equals(Buffer.from(input))).toBe(true);
      expect(seen(frames)).toEqual(expected);
    }
  });
});
