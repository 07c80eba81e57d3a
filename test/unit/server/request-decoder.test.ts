// The router's own ProcessingRequest decoder must read what Envoy sends exactly as proto-loader does, and hand
// anything unusual back to proto-loader. Messages are encoded with Envoy's own protos (@grpc/grpc-js-xds).
import { describe, expect, it } from 'vitest';
import type { ProcessingRequest } from '../../../src/server/ext-proc-messages.ts';
import { loadExtProcPackage } from '../../../src/server/ext-proc-server.ts';
import { decodeProcessingRequest } from '../../../src/server/request-decoder.ts';
import { readHeaderMap } from '../../../src/server/wire.ts';
import { CANONICAL_EXT_PROC_PROTO, loadCanonicalRoot } from '../../helpers/envoy-canonical.ts';

const fullDecode = (
  loadExtProcPackage()['envoy.service.ext_proc.v3.ExternalProcessor'] as unknown as {
    Process: { requestDeserialize(bytes: Buffer): ProcessingRequest };
  }
).Process.requestDeserialize;

const envoyType = loadCanonicalRoot([CANONICAL_EXT_PROC_PROTO]).lookupType(
  'envoy.service.ext_proc.v3.ProcessingRequest',
);

function envoyEncode(message: Record<string, unknown>): Buffer {
  const problem = envoyType.verify(message);
  if (problem) throw new Error(problem);
  return Buffer.from(envoyType.encode(envoyType.fromObject(message)).finish());
}

const decode = (bytes: Buffer, maxHeaders = 101) =>
  decodeProcessingRequest(bytes, { maxHeaders, decodeFull: fullDecode });

/** The decoded message with every `raw_text` (an ASCII header list's values, read as text) back as bytes. */
function withRawBytes(message: unknown): unknown {
  if (Buffer.isBuffer(message) || typeof message !== 'object' || message === null) return message;
  if (Array.isArray(message)) return message.map(withRawBytes);
  const { raw_text, ...rest } = message as { raw_text?: string } & Record<string, unknown>;
  const copy = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, withRawBytes(v)]));
  return raw_text === undefined ? copy : { ...copy, raw_value: Buffer.from(raw_text, 'latin1') };
}

const asciiHeaders = [
  { key: ':method', raw_value: Buffer.from('POST') },
  { key: ':path', raw_value: Buffer.from('/v1/chat/completions?x=1') },
  { key: 'content-type', value: 'application/json' },
  { key: 'x-empty-raw', raw_value: Buffer.alloc(0), value: 'fallback' },
  { key: 'x-empty' },
];

const headers = [
  { key: ':method', raw_value: Buffer.from('POST') },
  { key: ':path', raw_value: Buffer.from('/v1/chat/completions') },
  { key: 'content-type', value: 'application/json' },
  { key: 'x-ünïcode', raw_value: Buffer.from('välue ✓') },
  { key: 'x-empty' },
];

const metadata = {
  filter_metadata: {
    'envoy.filters.http.jwt_authn': {
      fields: {
        claims: {
          struct_value: {
            fields: {
              sub: { string_value: 'alice' },
              groups: { list_value: { values: [{ string_value: 'research' }, { number_value: 7 }] } },
              admin: { bool_value: false },
              none: { null_value: 'NULL_VALUE' },
            },
          },
        },
      },
    },
  },
};

describe('decodeProcessingRequest', () => {
  it.each([
    ['request headers', { request_headers: { headers: { headers }, end_of_stream: false } }],
    [
      'request headers with metadata',
      { request_headers: { headers: { headers } }, metadata_context: metadata },
    ],
    [
      'metadata before the headers',
      { metadata_context: metadata, request_headers: { headers: { headers } } },
    ],
    ['a request body', { request_body: { body: Buffer.from('{"model":"auto"}'), end_of_stream: true } }],
    [
      'a body with every flag',
      {
        response_body: {
          body: Buffer.from('data: {}\n\n'),
          end_of_stream: true,
          end_of_stream_without_message: true,
          grpc_message_compressed: true,
        },
        observability_mode: true,
      },
    ],
    ['an empty body', { request_body: { end_of_stream: true } }],
    [
      'response headers',
      { response_headers: { headers: { headers: [{ key: ':status', raw_value: Buffer.from('200') }] } } },
    ],
    [
      'ASCII request headers',
      { request_headers: { headers: { headers: asciiHeaders }, end_of_stream: true } },
    ],
    ['empty request trailers', { request_trailers: {} }],
    [
      'response trailers',
      { response_trailers: { trailers: { headers: [{ key: 'grpc-status', value: '0' }] } } },
    ],
  ])('reads %s as proto-loader does', (_name, message) => {
    const bytes = envoyEncode(message);
    const decoded = decode(bytes);
    expect(decoded).toBeDefined();
    expect(withRawBytes(decoded)).toEqual(fullDecode(bytes));
  });

  it('reads an ASCII header list as text, and what the router reads from it is what proto-loader gives', () => {
    const bytes = envoyEncode({ request_headers: { headers: { headers: asciiHeaders } } });
    const list = decode(bytes)?.request_headers?.headers?.headers ?? [];
    expect(list.map((h) => [h.key, h.raw_text, h.raw_value])).toEqual([
      [':method', 'POST', undefined],
      [':path', '/v1/chat/completions?x=1', undefined],
      ['content-type', undefined, undefined],
      // An empty raw_value is not on the wire (proto3): the header's `value` is what counts.
      ['x-empty-raw', undefined, undefined],
      ['x-empty', undefined, undefined],
    ]);
    const limits = { maxHeaders: 100, maxBytes: 1000 };
    const fromProtoLoader = readHeaderMap(fullDecode(bytes).request_headers?.headers, limits);
    expect(readHeaderMap(decode(bytes)?.request_headers?.headers, limits)).toEqual(fromProtoLoader);
    expect(fromProtoLoader.headers.get('x-empty-raw')).toBe('fallback');
    // The byte limit counts the same bytes either way.
    const tight = { maxHeaders: 100, maxBytes: 30 };
    expect(readHeaderMap(decode(bytes)?.request_headers?.headers, tight)).toEqual(
      readHeaderMap(fullDecode(bytes).request_headers?.headers, tight),
    );
  });

  it('keeps the last raw_value of a header, as text or as bytes', () => {
    // HeaderValue { key: "x-a", raw_value: "one", raw_value: "two" }, in an ASCII list and in a non-ASCII one.
    const header = (second: string) => {
      const value = Buffer.from(second);
      const inner = Buffer.concat([
        Buffer.from([0x0a, 3]),
        Buffer.from('x-a'),
        Buffer.from([0x1a, 3]),
        Buffer.from('one'),
        Buffer.from([0x1a, value.length]),
        value,
      ]);
      const list = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
      const http = Buffer.concat([Buffer.from([0x0a, list.length]), list]);
      return Buffer.concat([Buffer.from([(2 << 3) | 2, http.length]), http]);
    };
    for (const second of ['two', 'twö']) {
      const bytes = header(second);
      expect(readHeaderMap(decode(bytes)?.request_headers?.headers).headers.get('x-a')).toBe(second);
      expect(withRawBytes(decode(bytes))).toEqual(fullDecode(bytes));
    }
  });

  it('reads the protocol configuration Envoy sends with the first message as proto-loader does', () => {
    // Field 11 (protocol_config, newer than these protos) as raw bytes: { request_body_mode: STREAMED,
    // send_body_without_waiting_for_header_response: true }, before and after the headers.
    const protocol = Buffer.from([(11 << 3) | 2, 4, 0x08, 0x01, 0x18, 0x01]);
    const headersOnly = envoyEncode({
      request_headers: { headers: { headers } },
      metadata_context: metadata,
    });
    for (const bytes of [Buffer.concat([headersOnly, protocol]), Buffer.concat([protocol, headersOnly])]) {
      const decoded = decode(bytes);
      expect(decoded?.protocol_config).toEqual({
        request_body_mode: 'STREAMED',
        send_body_without_waiting_for_header_response: true,
      });
      expect(withRawBytes(decoded)).toEqual(fullDecode(bytes));
    }
    for (const mode of [0, 1, 2, 3, 4, 5]) {
      const bytes = Buffer.concat([headersOnly, Buffer.from([(11 << 3) | 2, 4, 0x08, mode, 0x10, 5 - mode])]);
      expect(withRawBytes(decode(bytes))).toEqual(fullDecode(bytes));
    }
    // A body mode newer than the router's protos is left to proto-loader (which gives its number).
    const newer = Buffer.concat([headersOnly, Buffer.from([(11 << 3) | 2, 2, 0x08, 9])]);
    expect(decode(newer)).toBeUndefined();
  });

  it('hands bodies back as views of the received bytes, without copying', () => {
    const bytes = envoyEncode({ request_body: { body: Buffer.from('x'.repeat(1000)) } });
    const body = decode(bytes)?.request_body?.body as Buffer;
    expect(body.buffer).toBe(bytes.buffer);
    expect(body.toString()).toBe('x'.repeat(1000));
  });

  it('leaves to proto-loader fields it does not read', () => {
    const withAttributes = envoyEncode({
      request_headers: { headers: { headers } },
      attributes: { 'envoy.filters.http.ext_proc': { fields: { 'request.path': { string_value: '/' } } } },
    });
    expect(decode(withAttributes)).toBeUndefined();
    // Field 15, unknown to the router's protos.
    const withUnknown = Buffer.concat([envoyEncode({ request_body: {} }), Buffer.from([(15 << 3) | 0, 1])]);
    expect(decode(withUnknown)).toBeUndefined();
    expect(fullDecode(withUnknown).request).toBe('request_body');
  });

  it('leaves to proto-loader a header list longer than the limit, and reads one at the limit', () => {
    const list = Array.from({ length: 12 }, (_, i) => ({ key: `x-h${i}`, raw_value: Buffer.from('v') }));
    const bytes = envoyEncode({ request_headers: { headers: { headers: list } } });
    expect(decode(bytes, 11)).toBeUndefined();
    expect(withRawBytes(decode(bytes, 12))).toEqual(fullDecode(bytes));
  });

  it('leaves to proto-loader two members of the oneof, a repeated sub-message and malformed bytes', () => {
    const headersField = envoyEncode({ request_headers: { headers: { headers } } });
    const bodyField = envoyEncode({ request_body: { body: Buffer.from('{}') } });
    expect(decode(Buffer.concat([headersField, bodyField]))).toBeUndefined();
    expect(decode(Buffer.concat([headersField, headersField]))).toBeUndefined();
    expect(decode(headersField.subarray(0, headersField.length - 3))).toBeUndefined();
    expect(decode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
  });

  it('reads an empty message as proto-loader does', () => {
    expect(decode(Buffer.alloc(0))).toEqual(fullDecode(Buffer.alloc(0)));
  });
});
