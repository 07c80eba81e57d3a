// The router writes ProcessingResponse bytes itself: Envoy's own protos must read them as the answers meant.
// (google.protobuf.Struct decodes with protobufjs's bundled definition, in camelCase.)
import type protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../../src/mutations.ts';
import { encodeProcessingResponse, encodeTrailersResponse } from '../../../src/server/response-encoder.ts';
import type { Phase } from '../../../src/server/wire.ts';
import { CANONICAL_EXT_PROC_PROTO, loadCanonicalRoot } from '../../helpers/envoy-canonical.ts';

let ProcessingResponse: protobuf.Type;

beforeAll(() => {
  ProcessingResponse = loadCanonicalRoot([CANONICAL_EXT_PROC_PROTO]).lookupType(
    'envoy.service.ext_proc.v3.ProcessingResponse',
  );
});

/** What Envoy reads: the decoded message as plain JSON (enums by name, bytes as text, oneofs named). */
function decode(bytes: Uint8Array): Record<string, unknown> {
  const message = ProcessingResponse.decode(bytes);
  return ProcessingResponse.toObject(message, { enums: String, bytes: String, oneofs: true, longs: Number });
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('encodeProcessingResponse', () => {
  it('writes header values only as raw_value bytes, overwriting, with clear_route_cache and the body', () => {
    const decoded = decode(
      encodeProcessingResponse('request_body', {
        kind: 'continue',
        setHeaders: [
          ['x-selected-pool', 'h100-pool'],
          ['x-router-reason', 'naïve ünïcode ✓'],
        ],
        removeHeaders: ['x-router-decision', 'content-length'],
        body: Buffer.from('{"model":"big"}'),
        clearRouteCache: true,
      }),
    );
    expect(decoded).toEqual({
      response: 'request_body',
      request_body: {
        response: {
          header_mutation: {
            set_headers: [
              {
                header: { key: 'x-selected-pool', raw_value: base64('h100-pool') },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
              {
                header: { key: 'x-router-reason', raw_value: base64('naïve ünïcode ✓') },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
            ],
            remove_headers: ['x-router-decision', 'content-length'],
          },
          body_mutation: { body: base64('{"model":"big"}'), mutation: 'body' },
          clear_route_cache: true,
        },
      },
    });
  });

  it('answers the phase it was asked about, with mode overrides and a cleared body', () => {
    const phases: Phase[] = ['request_headers', 'response_headers', 'request_body', 'response_body'];
    for (const phase of phases) {
      expect(decode(encodeProcessingResponse(phase, { kind: 'continue' }))).toEqual({
        response: phase,
        [phase]: { response: {} },
      });
    }
    expect(
      decode(
        encodeProcessingResponse('response_headers', {
          kind: 'continue',
          modeOverride: { responseBodyMode: 'STREAMED', requestBodyMode: 'BUFFERED' },
        }),
      ),
    ).toEqual({
      response: 'response_headers',
      response_headers: { response: {} },
      mode_override: { request_body_mode: 'BUFFERED', response_body_mode: 'STREAMED' },
    });
    expect(decode(encodeProcessingResponse('request_body', { kind: 'continue', clearBody: true }))).toEqual({
      response: 'request_body',
      request_body: { response: { body_mutation: { clear_body: true, mutation: 'clear_body' } } },
    });
    // NONE is the enum's zero: proto3 readers (Envoy's too) see the default, which is NONE.
    expect(
      decode(
        encodeProcessingResponse('response_headers', {
          kind: 'continue',
          modeOverride: { responseBodyMode: 'NONE' },
        }),
      ).mode_override,
    ).toEqual({});
  });

  it('turns an immediate result into an immediate_response, with dynamic metadata', () => {
    const decoded = decode(
      encodeProcessingResponse('request_body', {
        kind: 'immediate',
        status: 429,
        headers: [
          ['content-type', 'application/json'],
          ['retry-after', '7'],
        ],
        body: Buffer.from('{"error":{}}'),
        details: 'semantic_router_rate_limited',
        dynamicMetadata: { 'envoy.filters.http.ratelimit': { tenant: 'acme', over: true } },
      }),
    );
    expect(decoded.immediate_response).toEqual({
      status: { code: 'TooManyRequests' },
      headers: {
        set_headers: [
          {
            header: { key: 'content-type', raw_value: base64('application/json') },
            append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
          },
          {
            header: { key: 'retry-after', raw_value: base64('7') },
            append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
          },
        ],
      },
      body: base64('{"error":{}}'),
      details: 'semantic_router_rate_limited',
    });
    expect(decoded.dynamic_metadata).toEqual({
      fields: {
        'envoy.filters.http.ratelimit': {
          kind: 'structValue',
          structValue: {
            fields: {
              tenant: { kind: 'stringValue', stringValue: 'acme' },
              over: { kind: 'boolValue', boolValue: true },
            },
          },
        },
      },
    });
  });

  it('writes dynamic metadata of every value kind beside a continue answer', () => {
    const metadata = {
      'semantic-router': {
        decision: 'código',
        confidence: 0.8125,
        big: 2 ** 40 + 0.5,
        negative: -3,
        enforced: false,
        empty: '',
      },
      other: {},
    };
    const decoded = decode(
      encodeProcessingResponse('response_body', { kind: 'continue', dynamicMetadata: metadata }),
    );
    expect(decoded.response).toBe('response_body');
    const fields = (decoded.dynamic_metadata as { fields: Record<string, { structValue?: unknown }> }).fields;
    expect(Object.keys(fields).sort()).toEqual(['other', 'semantic-router']);
    const router = fields['semantic-router']?.structValue as
      | { fields: Record<string, Record<string, unknown>> }
      | undefined;
    const values = router?.fields;
    expect(values).toEqual({
      decision: { kind: 'stringValue', stringValue: 'código' },
      confidence: { kind: 'numberValue', numberValue: 0.8125 },
      big: { kind: 'numberValue', numberValue: 2 ** 40 + 0.5 },
      negative: { kind: 'numberValue', numberValue: -3 },
      enforced: { kind: 'boolValue', boolValue: false },
      empty: { kind: 'stringValue', stringValue: '' },
    });
    expect(fields.other?.structValue).toEqual({});
  });

  it('writes each metadata namespace with its own entries, after headers and a removed header', () => {
    const dynamicMetadata = {
      first: { model: 'small-chat', tokens: 42 },
      second: { pool: 'l4-pool', 'ünïcode key': 'välue', streaming: true },
    };
    const decoded = decode(
      encodeProcessingResponse('response_headers', {
        kind: 'continue',
        setHeaders: [['x-router-model', 'small-chat']],
        removeHeaders: ['x-drop'],
        dynamicMetadata,
      }),
    ) as {
      response_headers: {
        response: { header_mutation: { set_headers: unknown[]; remove_headers: string[] } };
      };
      dynamic_metadata: { fields: Record<string, { structValue: { fields: Record<string, unknown> } }> };
    };
    const mutation = decoded.response_headers.response.header_mutation;
    expect(mutation.set_headers).toHaveLength(1);
    expect(mutation.remove_headers).toEqual(['x-drop']);
    const fields = decoded.dynamic_metadata.fields;
    expect(fields.first?.structValue.fields).toEqual({
      model: { kind: 'stringValue', stringValue: 'small-chat' },
      tokens: { kind: 'numberValue', numberValue: 42 },
    });
    expect(fields.second?.structValue.fields).toEqual({
      pool: { kind: 'stringValue', stringValue: 'l4-pool' },
      'ünïcode key': { kind: 'stringValue', stringValue: 'välue' },
      streaming: { kind: 'boolValue', boolValue: true },
    });
  });

  it('writes lengths past one varint byte: large bodies and many headers', () => {
    const body = Buffer.alloc(300_000, 'x');
    const setHeaders: [string, string][] = Array.from({ length: 200 }, (_, i) => [`x-h-${i}`, 'v'.repeat(i)]);
    const result: PhaseResult = { kind: 'continue', setHeaders, body };
    const decoded = decode(encodeProcessingResponse('request_body', result)) as {
      request_body: {
        response: { body_mutation: { body: string }; header_mutation: { set_headers: unknown[] } };
      };
    };
    expect(Buffer.from(decoded.request_body.response.body_mutation.body, 'base64').equals(body)).toBe(true);
    expect(decoded.request_body.response.header_mutation.set_headers).toHaveLength(200);
  });

  it('answers trailers with an empty message of the same phase', () => {
    expect(decode(encodeTrailersResponse('request_trailers'))).toEqual({
      response: 'request_trailers',
      request_trailers: {},
    });
    expect(decode(encodeTrailersResponse('response_trailers'))).toEqual({
      response: 'response_trailers',
      response_trailers: {},
    });
  });
});
