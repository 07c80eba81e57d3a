// The caller's identity for role_bindings, from the one source the policy trusts: Envoy's verified metadata, or
// headers Envoy set after removing the client's copies. Client-sent identity headers are never believed otherwise.

/** Who is calling, as a trusted source says. */
export interface CallerIdentity {
  readonly userId: string;
  readonly groups: ReadonlySet<string>;
}

export interface IdentitySettings {
  readonly source: 'none' | 'headers' | 'metadata';
  /** Lower-case header names. */
  readonly userIdHeader: string;
  readonly userGroupsHeader: string;
  readonly metadataNamespace: string;
  /** Dotted paths inside the namespace's struct. */
  readonly userIdPath: readonly string[];
  readonly groupsPath: readonly string[];
}

/** Filter metadata Envoy forwarded to the stream, by namespace, as plain JSON. */
export type FilterMetadata = ReadonlyMap<string, unknown>;

/** Bounds what one request can make the router hold: identity strings are short. */
const MAX_IDENTITY_CHARS = 1024;
const MAX_GROUPS = 256;

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function groupList(value: unknown): string[] {
  const raw = Array.isArray(value)
    ? value.filter((g): g is string => typeof g === 'string')
    : typeof value === 'string'
      ? value.split(/[,\s]+/)
      : [];
  return raw
    .map((g) => g.trim())
    .filter((g) => g.length > 0 && g.length <= MAX_IDENTITY_CHARS)
    .slice(0, MAX_GROUPS);
}

function identityOf(userId: unknown, groups: unknown): CallerIdentity | undefined {
  const id = typeof userId === 'string' ? userId.trim() : '';
  if (id.length === 0 || id.length > MAX_IDENTITY_CHARS) return undefined;
  return { userId: id, groups: new Set(groupList(groups)) };
}

/** The caller's identity from the trusted source, or undefined (anonymous, or nothing trustworthy). */
export function resolveIdentity(
  settings: IdentitySettings,
  headers: ReadonlyMap<string, string>,
  metadata: FilterMetadata,
): CallerIdentity | undefined {
  switch (settings.source) {
    case 'none':
      return undefined;
    case 'headers':
      return identityOf(headers.get(settings.userIdHeader), headers.get(settings.userGroupsHeader));
    case 'metadata': {
      const root = metadata.get(settings.metadataNamespace);
      return identityOf(valueAt(root, settings.userIdPath), valueAt(root, settings.groupsPath));
    }
  }
}

/**
 * Identity headers a client may have sent that nobody vouches for: removed before the request goes upstream
 * (an upstream that trusted them would be fooled) and ignored by the router.
 */
export function untrustedIdentityHeaders(settings: IdentitySettings): readonly string[] {
  return settings.source === 'headers' ? [] : [settings.userIdHeader, settings.userGroupsHeader];
}
