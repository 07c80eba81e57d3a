// `role_bindings` family (condition type `authz`): roles of the caller, whose identity comes from the policy's
// trusted source (src/request/identity.ts; here the `headers` source, as Envoy's auth filters would set them).
import { describe, expect, it } from 'vitest';
import { type IdentitySettings, resolveIdentity } from '../../../src/request/identity.ts';
import { type RoleBindingRule, roleBindingsFamily } from '../../../src/signals/role-bindings.ts';
import { referenceNames, type SignalMatch } from '../../../src/signals/signal-family.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

const trustedHeaders: IdentitySettings = {
  source: 'headers',
  userIdHeader: 'x-authz-user-id',
  userGroupsHeader: 'x-authz-user-groups',
  metadataNamespace: 'envoy.filters.http.jwt_authn',
  userIdPath: ['jwt_payload', 'sub'],
  groupsPath: ['jwt_payload', 'groups'],
};

function rules(raw: readonly unknown[]): RoleBindingRule[] {
  return raw.map((r) => roleBindingsFamily.ruleSchema.parse(r));
}

function evaluate(
  raw: readonly unknown[],
  headers: Record<string, string>,
  settings: IdentitySettings = trustedHeaders,
): readonly SignalMatch[] {
  const identity = resolveIdentity(settings, new Map(Object.entries(headers)), new Map());
  return evaluateFamily(
    roleBindingsFamily,
    raw,
    contextFor({ text: 'hi', headers, ...(identity && { identity }) }),
  );
}

const policy = [
  { name: 'alice-admin', role: 'admin', subjects: [{ kind: 'User', name: 'alice' }] },
  {
    name: 'eng-developers',
    role: 'developer',
    subjects: [
      { kind: 'Group', name: 'eng' },
      { kind: 'Group', name: 'platform' },
    ],
  },
  { name: 'ops-admins', role: 'admin', subjects: [{ kind: 'Group', name: 'ops' }] },
  { name: 'bob-premium', role: 'premium', subjects: [{ kind: 'user', name: 'bob' }] },
];

describe('role_bindings', () => {
  it.each([
    ['user subject', { 'x-authz-user-id': 'alice' }, ['admin']],
    ['kind written in lower case', { 'x-authz-user-id': 'bob' }, ['premium']],
    ['group subject', { 'x-authz-user-id': 'carol', 'x-authz-user-groups': 'eng' }, ['developer']],
    [
      'comma-separated groups with spaces',
      { 'x-authz-user-id': 'carol', 'x-authz-user-groups': ' sales , platform ,ops' },
      ['developer', 'admin'],
    ],
    [
      'user and group bindings together, each role once',
      { 'x-authz-user-id': 'alice', 'x-authz-user-groups': 'ops,eng' },
      ['admin', 'developer'],
    ],
    ['no user id header → no roles, whatever the groups', { 'x-authz-user-groups': 'eng,ops' }, []],
    ['blank user id header → no roles', { 'x-authz-user-id': '  ', 'x-authz-user-groups': 'eng' }, []],
    ['user id is trimmed', { 'x-authz-user-id': ' alice ' }, ['admin']],
    ['unknown user, no groups', { 'x-authz-user-id': 'mallory' }, []],
    ['empty groups header', { 'x-authz-user-id': 'mallory', 'x-authz-user-groups': '' }, []],
    ['only commas', { 'x-authz-user-id': 'mallory', 'x-authz-user-groups': ' , ,' }, []],
    [
      'a group name is not matched as a prefix',
      { 'x-authz-user-id': 'dan', 'x-authz-user-groups': 'engineering' },
      [],
    ],
    ['names are case-sensitive', { 'x-authz-user-id': 'Alice', 'x-authz-user-groups': 'ENG' }, []],
    [
      'a user name in the groups header grants nothing',
      { 'x-authz-user-id': 'eve', 'x-authz-user-groups': 'alice' },
      [],
    ],
    ['identity from other headers is ignored', { 'x-user': 'alice', 'x-authz-user': 'alice' }, []],
  ])('%s', (_label, headers, expected) => {
    expect(evaluate(policy, headers).map((m) => m.name)).toEqual(expected);
  });

  it('emits the role (not the binding name) with confidence 1 and names the binding in the detail', () => {
    expect(evaluate(policy, { 'x-authz-user-id': 'alice' })).toEqual([
      { name: 'admin', confidence: 1, detail: 'binding=alice-admin' },
    ]);
  });

  it('references roles, each once, as the names decisions may use', () => {
    expect(referenceNames(roleBindingsFamily, rules(policy))).toEqual(['admin', 'developer', 'premium']);
  });

  it('reads the identity headers the policy names', () => {
    const custom = { ...trustedHeaders, userIdHeader: 'x-user', userGroupsHeader: 'x-groups' };
    expect(evaluate(policy, { 'x-user': 'carol', 'x-groups': 'eng' }, custom).map((m) => m.name)).toEqual([
      'developer',
    ]);
    expect(evaluate(policy, { 'x-authz-user-id': 'alice' }, custom)).toEqual([]);
  });

  it.each(['metadata', 'none'] as const)(
    'grants nothing from client-sent identity headers when the identity source is %s',
    (source) => {
      const headers = { 'x-authz-user-id': 'alice', 'x-authz-user-groups': 'ops,eng' };
      expect(evaluate(policy, headers, { ...trustedHeaders, source })).toEqual([]);
    },
  );
});
