// The single translation from plain phase results to ext_proc messages.
import { describe, expect, it } from 'vitest';
import { readHeaderMap, toProcessingResponse } from '../../../src/server/wire.ts';

describe('toProcessingResponse', () => {
  it('writes header values only as raw_value bytes, overwriting, with clear_route_cache and the body', () => {
    const response = toProcessingResponse('request_body', {
      kind: 'continue',
      setHeaders: [['x-selected-pool', 'h100-pool']],
      removeHeaders: ['x-router-decision'],
      body: Buffer.from('{}'),
      clearRouteCache: true,
    });
    expect(response).toEqual({
      request_body: {
        response: {
          header_mutation: {
            set_headers: [
              {
                header: { key: 'x-selected-pool', raw_value: Buffer.from('h100-pool') },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
            ],
            remove_headers: ['x-router-decision'],
          },
          body_mutation: { body: Buffer.from('{}') },
          clear_route_cache: true,
        },
      },
    });
  });

  it('answers the phase it was asked about, with mode overrides', () => {
    expect(
      toProcessingResponse('response_headers', {
        kind: 'continue',
        modeOverride: { responseBodyMode: 'STREAMED' },
      }),
    ).toEqual({ response_headers: { response: {} }, mode_override: { response_body_mode: 'STREAMED' } });
    expect(toProcessingResponse('request_body', { kind: 'continue', clearBody: true })).toEqual({
      request_body: { response: { body_mutation: { clear_body: true } } },
    });
  });

  it('turns an immediate result into an immediate_response', () => {
    const response = toProcessingResponse('request_body', {
      kind: 'immediate',
      status: 413,
      headers: [['content-type', 'application/json']],
      body: Buffer.from('{"error":{}}'),
      details: 'semantic_router_request_too_large',
    });
    expect(response.immediate_response).toEqual({
      status: { code: 413 },
      headers: {
        set_headers: [
          expect.objectContaining({
            header: { key: 'content-type', raw_value: Buffer.from('application/json') },
          }),
        ],
      },
      body: Buffer.from('{"error":{}}'),
      details: 'semantic_router_request_too_large',
    });
  });
});

describe('readHeaderMap', () => {
  it('prefers raw_value, falls back to value, lower-cases names and joins repeats', () => {
    const { headers } = readHeaderMap({
      headers: [
        { key: 'X-Tenant', raw_value: Buffer.from('acme') },
        { key: ':path', value: '/v1/chat/completions' },
        { key: 'accept', value: 'a' },
        { key: 'Accept', raw_value: Buffer.from('b') },
        { key: '', value: 'dropped' },
      ],
    });
    expect([...headers]).toEqual([
      ['x-tenant', 'acme'],
      [':path', '/v1/chat/completions'],
      ['accept', 'a,b'],
    ]);
  });

  it('stops reading at the header limits and says which one was passed', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({ key: 'x-same', value: String(i) }));
    const byCount = readHeaderMap({ headers: many }, { maxHeaders: 100, maxBytes: 60 * 1024 });
    expect(byCount.overLimit).toMatch(/100000 headers, more than the limit of 100/);
    const big = [
      { key: 'x-a', value: 'a'.repeat(40_000) },
      { key: 'x-b', value: 'b'.repeat(40_000) },
    ];
    const byBytes = readHeaderMap({ headers: big }, { maxHeaders: 100, maxBytes: 60 * 1024 });
    expect(byBytes.overLimit).toMatch(/more than 61440 bytes/);
    const fine = readHeaderMap({ headers: many.slice(0, 50) }, { maxHeaders: 100, maxBytes: 60 * 1024 });
    expect(fine.overLimit).toBeUndefined();
    expect(fine.headers.get('x-same')?.split(',')).toHaveLength(50);
  });
});
