// The caller's identity comes only from the source the policy trusts.
import { describe, expect, it } from 'vitest';
import {
  type IdentitySettings,
  resolveIdentity,
  untrustedIdentityHeaders,
} from '../../../src/request/identity.ts';

const settings = (source: IdentitySettings['source']): IdentitySettings => ({
  source,
  userIdHeader: 'x-authz-user-id',
  userGroupsHeader: 'x-authz-user-groups',
  metadataNamespace: 'envoy.filters.http.jwt_authn',
  userIdPath: ['jwt_payload', 'sub'],
  groupsPath: ['jwt_payload', 'groups'],
});

const headers = new Map([
  ['x-authz-user-id', 'header-user'],
  ['x-authz-user-groups', 'research, ops'],
]);
const metadata = (payload: unknown) => new Map([['envoy.filters.http.jwt_authn', { jwt_payload: payload }]]);

describe('resolveIdentity', () => {
  it('metadata: reads the verified claims, groups as a list or a string, and ignores the headers', () => {
    expect(
      resolveIdentity(settings('metadata'), headers, metadata({ sub: 'u1', groups: ['a', 'b'] })),
    ).toEqual({
      userId: 'u1',
      groups: new Set(['a', 'b']),
    });
    expect(resolveIdentity(settings('metadata'), headers, metadata({ sub: 'u1', groups: 'a b,c' }))).toEqual({
      userId: 'u1',
      groups: new Set(['a', 'b', 'c']),
    });
    expect(resolveIdentity(settings('metadata'), headers, new Map())).toBeUndefined();
    expect(resolveIdentity(settings('metadata'), headers, metadata({ groups: ['a'] }))).toBeUndefined();
  });

  it('headers: reads the identity headers Envoy set', () => {
    expect(resolveIdentity(settings('headers'), headers, new Map())).toEqual({
      userId: 'header-user',
      groups: new Set(['research', 'ops']),
    });
  });

  it('none: nobody', () => {
    expect(resolveIdentity(settings('none'), headers, metadata({ sub: 'u1' }))).toBeUndefined();
  });

  it('drops absurd values (bounded work per request)', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `g${i}`);
    const identity = resolveIdentity(settings('metadata'), headers, metadata({ sub: 'u', groups: many }));
    expect(identity?.groups.size).toBe(256);
    expect(
      resolveIdentity(settings('metadata'), headers, metadata({ sub: 'x'.repeat(5000) })),
    ).toBeUndefined();
  });

  it('strips client identity headers unless they are the trusted source', () => {
    expect(untrustedIdentityHeaders(settings('metadata'))).toEqual([
      'x-authz-user-id',
      'x-authz-user-groups',
    ]);
    expect(untrustedIdentityHeaders(settings('none'))).toEqual(['x-authz-user-id', 'x-authz-user-groups']);
    expect(untrustedIdentityHeaders(settings('headers'))).toEqual([]);
  });
});
