// The request deserializer's header cap: a request_headers message with a huge header list is decoded with only
// cap + 1 of them (and marked), every other field intact; ordinary messages are decoded byte for byte as sent.
import { describe, expect, it } from 'vitest';
import { capRequestHeaders } from '../../../src/server/bounded-headers.ts';
import { loadExtProcPackage } from '../../../src/server/ext-proc-server.ts';

interface Codec {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): Record<string, unknown> & {
    request_headers?: { headers?: { headers?: { key: string }[] }; end_of_stream?: boolean };
  };
}
const codec = (
  loadExtProcPackage()['envoy.service.ext_proc.v3.ExternalProcessor'] as unknown as {
    Process: Codec;
  }
).Process;

function headersMessage(count: number): Buffer {
  const headers = Array.from({ length: count }, (_, i) => ({ key: `x-h${i}`, raw_value: Buffer.from('v') }));
  return codec.requestSerialize({
    request_headers: { headers: { headers }, end_of_stream: true },
    metadata_context: { filter_metadata: { ns: { fields: { a: { stringValue: 'b' } } } } },
  });
}

describe('capRequestHeaders', () => {
  it.each([10, 100, 1000])(
    'leaves a message with no more headers than the cap unchanged (%i headers)',
    (n) => {
      const bytes = headersMessage(n);
      const capped = capRequestHeaders(bytes, 1000);
      expect(capped.truncated).toBeUndefined();
      expect(capped.bytes).toBe(bytes);
    },
  );

  it('decodes cap + 1 headers of a 100,000-header message and keeps the other fields', () => {
    const capped = capRequestHeaders(headersMessage(100_000), 100);
    expect(capped.truncated).toBe(true);
    const message = codec.requestDeserialize(capped.bytes as Buffer);
    expect(message.request_headers?.headers?.headers).toHaveLength(101);
    expect(message.request_headers?.headers?.headers?.[100]?.key).toBe('x-h100');
    expect(message.request_headers?.end_of_stream).toBe(true);
    expect(message.metadata_context).toEqual({
      filter_metadata: { ns: { fields: { a: { stringValue: 'b', kind: 'stringValue' } } } },
    });
  });

  it('skips fields of every wire type (groups too) before the headers, and still caps them', () => {
    const tag = (field: number, wireType: number) => field * 8 + wireType;
    const unknownFields = Buffer.from([
      ...[tag(12, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // a 10-byte varint
      ...[tag(13, 1), 1, 2, 3, 4, 5, 6, 7, 8], // fixed64
      ...[tag(14, 5), 1, 2, 3, 4], // fixed32
      ...[tag(15, 3), tag(1, 0), 7, tag(3, 3), tag(2, 5), 0, 0, 0, 0, tag(3, 4), tag(15, 4)], // nested groups
    ]);
    const capped = capRequestHeaders(Buffer.concat([unknownFields, headersMessage(100_000)]), 100);
    expect(capped.truncated).toBe(true);
    const message = codec.requestDeserialize(capped.bytes as Buffer);
    expect(message.request_headers?.headers?.headers).toHaveLength(101);
    expect(message.metadata_context).toBeDefined();
    // A group that never ends is not a message: decoded as sent.
    const unended = Buffer.concat([Buffer.from([tag(15, 3), tag(1, 0), 7]), headersMessage(2000)]);
    expect(capRequestHeaders(unended, 100).bytes).toBe(unended);
  });

  it('leaves body messages and malformed bytes to the decoder', () => {
    const body = codec.requestSerialize({
      request_body: { body: Buffer.alloc(64 * 1024, 1), end_of_stream: true },
    });
    expect(capRequestHeaders(body, 10).bytes).toBe(body);
    const garbage = Buffer.alloc(16 * 1024, 0xff);
    expect(capRequestHeaders(garbage, 10).bytes).toBe(garbage);
  });
});
