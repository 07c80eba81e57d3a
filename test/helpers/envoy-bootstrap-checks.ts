// Envoy configs (deploy/envoy.yaml, the Helm chart's sidecar config) decoded strictly into Envoy's canonical
// envoy.config.bootstrap.v3.Bootstrap, and the Envoy contract of DESIGN.md checked on the decoded message.
import type protobuf from 'protobufjs';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { CLIENT_ALLOWED_ROUTER_HEADERS, HEADER, SPOOFABLE_HEADER_PREFIXES } from '../../src/headers.ts';
import { canonicalIncludeDirs, loadCanonicalRoot } from './envoy-canonical.ts';
import {
  includeDirsTypeUrlResolver,
  messageToPlain,
  type ProtoJsonOptions,
  type ProtoJsonResult,
  protoJsonToMessage,
} from './proto-json.ts';

export const ENVOY_TYPE = {
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  extProc: 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
  extProcPerRoute: 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  headerMutation: 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
  jwtAuthn: 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
} as const;
export const ENVOY_FILTER = {
  headerMutation: 'envoy.filters.http.header_mutation',
  jwtAuthn: 'envoy.filters.http.jwt_authn',
  extProc: 'envoy.filters.http.ext_proc',
  router: 'envoy.filters.http.router',
} as const;
export const ROUTER_CLUSTER = 'semantic-router';
/** Where jwt_authn puts the verified payload (dynamic metadata namespace and key) for identity.source: metadata. */
export const JWT_PAYLOAD_METADATA = { namespace: ENVOY_FILTER.jwtAuthn, key: 'jwt_payload' } as const;

/** The request headers that carry the caller's identity (the policy's identity.*_header). */
export interface IdentityHeaders {
  readonly userId: string;
  readonly userGroups: string;
}
export const DEFAULT_IDENTITY_HEADERS: IdentityHeaders = {
  userId: 'x-authz-user-id',
  userGroups: 'x-authz-user-groups',
};

/** The router's own headers a client must not send (src/headers.ts): x-selected-*, x-router-* but x-router-debug. */
export const ROUTER_ONLY_HEADERS: readonly string[] = Object.values(HEADER).filter(
  (name) =>
    SPOOFABLE_HEADER_PREFIXES.some((prefix) => name.startsWith(prefix)) &&
    !CLIENT_ALLOWED_ROUTER_HEADERS.has(name),
);
const MIB = 1024 * 1024;

export type Plain = Record<string, unknown>;

export function obj(value: unknown, what: string): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not an object`);
  return value as Plain;
}

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

export function seconds(duration: unknown, what: string): number {
  const { seconds: whole = 0, nanos = 0 } = obj(duration, what);
  return Number(whole) + Number(nanos) / 1e9;
}

interface Schema {
  readonly type: protobuf.Type;
  readonly options: ProtoJsonOptions & { resolveTypeUrl: NonNullable<ProtoJsonOptions['resolveTypeUrl']> };
}

const schemas = new Map<string, Schema>();

/**
 * A fresh root holding only the file that defines `typeName`: every typed_config type must then be found and
 * loaded on demand. Deprecated fields are rejected.
 */
export function canonicalSchema(protoFile: string, typeName: string): Schema {
  const cached = schemas.get(typeName);
  if (cached) return cached;
  const root = loadCanonicalRoot([protoFile]);
  const schema = {
    type: root.lookupType(typeName),
    options: {
      resolveTypeUrl: includeDirsTypeUrlResolver(root, canonicalIncludeDirs),
      rejectDeprecated: true,
    },
  };
  schemas.set(typeName, schema);
  return schema;
}

export function bootstrapSchema(): Schema {
  return canonicalSchema('envoy/config/bootstrap/v3/bootstrap.proto', 'envoy.config.bootstrap.v3.Bootstrap');
}

/** Converts a plain value (parsed YAML/JSON) strictly into `typeName`; throws ProtoJsonError when invalid. */
export function decodeCanonical(
  protoFile: string,
  typeName: string,
  value: unknown,
): { decoded: ProtoJsonResult; plain: Plain; type: protobuf.Type } {
  const schema = canonicalSchema(protoFile, typeName);
  const decoded = protoJsonToMessage(schema.type, value, schema.options);
  return {
    decoded,
    plain: messageToPlain(schema.type, decoded.message, schema.options.resolveTypeUrl),
    type: schema.type,
  };
}

/** Converts Bootstrap YAML text strictly; throws ProtoJsonError when invalid. */
export function convertBootstrap(yamlText: string): ProtoJsonResult {
  const schema = bootstrapSchema();
  return protoJsonToMessage(schema.type, parse(yamlText), schema.options);
}

/** Bootstrap YAML decoded, with the parts the contract checks look at picked out. */
export function decodeBootstrap(yamlText: string) {
  const schema = bootstrapSchema();
  const decoded = convertBootstrap(yamlText);
  const bootstrap = messageToPlain(schema.type, decoded.message, schema.options.resolveTypeUrl);
  const staticResources = obj(bootstrap.static_resources, 'static_resources');
  const listener = obj(list(staticResources.listeners, 'listeners')[0], 'listeners[0]');
  const clusters = list(staticResources.clusters, 'clusters').map((c, i) => obj(c, `clusters[${i}]`));
  const chain = obj(list(listener.filter_chains, 'filter_chains')[0], 'filter_chains[0]');
  const hcm = obj(obj(list(chain.filters, 'filters')[0], 'filters[0]').typed_config, 'HttpConnectionManager');
  const httpFilters = list(hcm.http_filters, 'http_filters').map((f, i) => obj(f, `http_filters[${i}]`));
  const virtualHost = obj(
    list(obj(hcm.route_config, 'route_config').virtual_hosts, 'virtual_hosts')[0],
    'vhost',
  );
  return {
    schemaType: schema.type,
    decoded,
    bootstrap,
    listener,
    clusters,
    clusterNames: clusters.map((cluster) => String(cluster.name)),
    hcm,
    httpFilters,
    filterNames: httpFilters.map((filter) => filter.name),
    routes: list(virtualHost.routes, 'routes').map((r, i) => obj(r, `routes[${i}]`)),
  };
}

export type DecodedBootstrap = ReturnType<typeof decodeBootstrap>;

/** The ext_proc ExternalProcessor config (typed_config of the filter) follows DESIGN.md's contract. */
export function expectExtProcContract(extProc: Plain): void {
  expect(extProc['@type']).toBe(ENVOY_TYPE.extProc);
  expect(extProc.processing_mode).toEqual({
    request_header_mode: 'SEND',
    response_header_mode: 'SEND',
    request_body_mode: 'BUFFERED',
    response_body_mode: 'BUFFERED',
    request_trailer_mode: 'SKIP',
    response_trailer_mode: 'SKIP',
  });
  expect(extProc.allow_mode_override).toBe(true);
  expect(extProc.failure_mode_allow ?? false).toBe(false);
  const messageTimeout = seconds(extProc.message_timeout, 'message_timeout');
  expect(messageTimeout).toBeGreaterThanOrEqual(1);
  expect(seconds(extProc.max_message_timeout, 'max_message_timeout')).toBeGreaterThanOrEqual(messageTimeout);
  // The router's clear_route_cache must be honoured.
  expect(extProc.disable_clear_route_cache ?? false).toBe(false);
  expect(extProc.route_cache_action ?? 'DEFAULT').not.toBe('RETAIN');
  const grpcService = obj(extProc.grpc_service, 'grpc_service');
  expect(seconds(grpcService.timeout, 'grpc_service.timeout')).toBeGreaterThan(0);
  // The verified JWT payload reaches the router as ProcessingRequest.metadata_context (identity.source: metadata).
  const forwarded = obj(
    obj(extProc.metadata_options, 'metadata_options').forwarding_namespaces,
    'forwarding',
  );
  expect(forwarded.untyped).toContain(JWT_PAYLOAD_METADATA.namespace);
}

/** ext_proc runs before the router filter, with the required processing mode, talking to `semantic-router`. */
export function expectExtProcBeforeRouter(envoy: DecodedBootstrap): void {
  const { httpFilters, filterNames, clusterNames } = envoy;
  const extProc = obj(
    httpFilters.find((f) => f.name === 'envoy.filters.http.ext_proc')?.typed_config,
    'ext_proc',
  );
  const extProcIndex = filterNames.indexOf('envoy.filters.http.ext_proc');
  expect(extProcIndex).toBeGreaterThanOrEqual(0);
  expect(filterNames.at(-1)).toBe('envoy.filters.http.router');
  expect(extProcIndex).toBeLessThan(filterNames.indexOf('envoy.filters.http.router'));
  expect(obj(httpFilters.at(-1)?.typed_config, 'router')['@type']).toBe(ENVOY_TYPE.router);
  expectExtProcContract(extProc);
  const grpcService = obj(extProc.grpc_service, 'grpc_service');
  expect(obj(grpcService.envoy_grpc, 'envoy_grpc').cluster_name).toBe(ROUTER_CLUSTER);
  expect(clusterNames).toContain(ROUTER_CLUSTER);
}

/** Route on x-selected-pool first, then to `defaultPool`; buffers large enough for real prompts. */
export function expectPoolRouting(envoy: DecodedBootstrap, defaultPool: string): void {
  const { routes, listener, clusters } = envoy;
  const byPool = routes.findIndex((route) =>
    list(obj(route.match, 'match').headers ?? [], 'headers').some((h) => {
      const header = obj(h, 'header');
      return header.name === 'x-selected-pool' && header.present_match === true;
    }),
  );
  expect(byPool).toBeGreaterThanOrEqual(0);
  const poolRoute = routes[byPool] ?? {};
  expect(obj(poolRoute.match, 'match').prefix).toBe('/');
  expect(obj(poolRoute.route, 'route').cluster_header).toBe('x-selected-pool');
  expect(seconds(obj(poolRoute.route, 'route').timeout, 'timeout')).toBeGreaterThanOrEqual(60);

  const fallback = routes.at(-1) ?? {};
  expect(routes.indexOf(fallback)).toBeGreaterThan(byPool);
  expect(obj(fallback.match, 'match')).toEqual({ prefix: '/' });
  expect(obj(fallback.route, 'route').cluster).toBe(defaultPool);
  expect(seconds(obj(fallback.route, 'route').timeout, 'timeout')).toBeGreaterThanOrEqual(60);

  const limit = (holder: Plain) =>
    Number(obj(holder.per_connection_buffer_limit_bytes, 'per_connection_buffer_limit_bytes').value);
  expect(limit(listener)).toBeGreaterThanOrEqual(4 * MIB);
  for (const cluster of clusters)
    expect(limit(cluster), String(cluster.name)).toBeGreaterThanOrEqual(4 * MIB);
}

/** Exactly one cluster per pool (besides the router's and a JWKS one), each with endpoints and a connect timeout. */
export function expectOneClusterPerPool(envoy: DecodedBootstrap, poolClusterNames: readonly string[]): void {
  const { clusters, clusterNames } = envoy;
  const jwks = jwksClusterNames(envoy);
  const poolClusters = clusterNames.filter((name) => name !== ROUTER_CLUSTER && !jwks.includes(name));
  expect(new Set(poolClusters)).toEqual(new Set(poolClusterNames));
  expect(poolClusters).toHaveLength(poolClusterNames.length);
  for (const cluster of clusters) {
    const assignment = obj(cluster.load_assignment, `${String(cluster.name)}.load_assignment`);
    expect(assignment.cluster_name).toBe(cluster.name);
    expect(list(assignment.endpoints, 'endpoints').length).toBeGreaterThan(0);
    expect(seconds(cluster.connect_timeout, 'connect_timeout')).toBeGreaterThan(0);
  }
}

/** Every fixed route target exists; the router cluster speaks HTTP/2 (gRPC). */
export function expectRouteTargetsAndHttp2Router(envoy: DecodedBootstrap): void {
  const { routes, clusters, clusterNames } = envoy;
  for (const route of routes) {
    const action = route.route === undefined ? undefined : obj(route.route, 'route');
    if (typeof action?.cluster === 'string') expect(clusterNames).toContain(action.cluster);
  }
  const routerCluster = clusters.find((cluster) => cluster.name === ROUTER_CLUSTER);
  const protocolOptions = obj(
    obj(routerCluster?.typed_extension_protocol_options, 'typed_extension_protocol_options')[
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
    ],
    'HttpProtocolOptions',
  );
  expect(protocolOptions['@type']).toBe(ENVOY_TYPE.httpProtocolOptions);
  expect(obj(protocolOptions.explicit_http_config, 'explicit_http_config')).toHaveProperty(
    'http2_protocol_options',
  );
}

/** Host and port of each cluster's first endpoint, by cluster name. */
export function clusterEndpoints(envoy: DecodedBootstrap): Map<string, { address: string; port: number }> {
  const endpoints = new Map<string, { address: string; port: number }>();
  for (const cluster of envoy.clusters) {
    const assignment = obj(cluster.load_assignment, 'load_assignment');
    const lbEndpoint = obj(
      list(obj(list(assignment.endpoints, 'endpoints')[0], 'endpoints[0]').lb_endpoints, 'lb_endpoints')[0],
      'lb_endpoints[0]',
    );
    const socket = obj(obj(obj(lbEndpoint.endpoint, 'endpoint').address, 'address').socket_address, 'socket');
    endpoints.set(String(cluster.name), { address: String(socket.address), port: Number(socket.port_value) });
  }
  return endpoints;
}

/** The typed_config of the HTTP filter `name`; throws when the chain has none. */
export function httpFilterConfig(envoy: DecodedBootstrap, name: string): Plain {
  return obj(envoy.httpFilters.find((filter) => filter.name === name)?.typed_config, name);
}

/** The clusters jwt_authn providers fetch remote JWKS through. */
export function jwksClusterNames(envoy: DecodedBootstrap): string[] {
  if (!envoy.filterNames.includes(ENVOY_FILTER.jwtAuthn)) return [];
  const providers = obj(httpFilterConfig(envoy, ENVOY_FILTER.jwtAuthn).providers, 'providers');
  return Object.values(providers).flatMap((provider) => {
    const remote = obj(provider, 'provider').remote_jwks;
    return remote === undefined ? [] : [String(obj(obj(remote, 'remote_jwks').http_uri, 'http_uri').cluster)];
  });
}

/**
 * The connection manager normalises the path before any filter or route sees it (dot segments, duplicate slashes,
 * %2F/%5C decoded with `escapedSlashes`), rejects header names with underscores and states the header limits.
 */
export function expectPathAndHeaderHardening(
  envoy: DecodedBootstrap,
  escapedSlashes: 'UNESCAPE_AND_FORWARD' | 'UNESCAPE_AND_REDIRECT' = 'UNESCAPE_AND_FORWARD',
): void {
  const { hcm } = envoy;
  expect(hcm.normalize_path).toEqual({ value: true });
  expect(hcm.merge_slashes).toBe(true);
  expect(hcm.path_with_escaped_slashes_action).toBe(escapedSlashes);
  expect(hcm.typed_header_validation_config).toBeUndefined(); // it would override the three settings above
  expect(hcm.common_http_protocol_options).toEqual({
    headers_with_underscores_action: 'REJECT_REQUEST',
    max_headers_count: { value: 100 },
  });
  expect(hcm.max_request_headers_kb).toEqual({ value: 60 });
}

/** A header_mutation config removes the identity and router-only headers (and no more) from every request. */
export function expectHeaderSanitizer(headerMutation: Plain, identity: IdentityHeaders): string[] {
  expect(headerMutation['@type']).toBe(ENVOY_TYPE.headerMutation);
  const mutations = obj(headerMutation.mutations, 'mutations');
  expect(mutations.response_mutations ?? []).toEqual([]);
  const removed = list(mutations.request_mutations, 'request_mutations').map((m, i) => {
    const mutation = obj(m, `request_mutations[${i}]`);
    expect(Object.keys(mutation), 'only removals').toEqual(['remove']);
    return String(mutation.remove);
  });
  expect(removed).toEqual(
    expect.arrayContaining([identity.userId, identity.userGroups, ...ROUTER_ONLY_HEADERS]),
  );
  expect(removed).not.toContain(HEADER.routerDebug);
  return removed;
}

/**
 * jwt_authn with one provider: the verified payload in metadata (JWT_PAYLOAD_METADATA), `sub` / `groups` (or the
 * given claims) into the identity headers, and one rule for every path that allows a missing token but not a bad one.
 */
export function expectJwtAuthn(
  jwtAuthn: Plain,
  identity: IdentityHeaders,
  claims: { userId: string; userGroups: string } = { userId: 'sub', userGroups: 'groups' },
): Plain {
  expect(jwtAuthn['@type']).toBe(ENVOY_TYPE.jwtAuthn);
  const providers = obj(jwtAuthn.providers, 'providers');
  const [providerName, ...others] = Object.keys(providers);
  expect(others).toEqual([]);
  const provider = obj(providers[String(providerName)], 'provider');
  expect(provider.payload_in_metadata).toBe(JWT_PAYLOAD_METADATA.key);
  expect(provider.claim_to_headers).toEqual([
    { header_name: identity.userId, claim_name: claims.userId },
    { header_name: identity.userGroups, claim_name: claims.userGroups },
  ]);
  expect(provider.forward ?? false).toBe(false); // the token itself is not passed on
  expect(jwtAuthn.rules).toEqual([
    {
      match: { prefix: '/' },
      // Identity for routing, not authentication: an unverifiable token (an SDK's API key) is anonymous, not a 401.
      requires: {
        requires_any: { requirements: [{ provider_name: providerName }, { allow_missing_or_failed: {} }] },
      },
    },
  ]);
  return provider;
}

/**
 * The HTTP filters are header_mutation -> jwt_authn (when `jwt`) -> ext_proc -> router: client copies of the
 * identity and routing headers are gone before jwt_authn sets the identity headers and before the router reads them.
 */
export function expectIdentityFilterChain(
  envoy: DecodedBootstrap,
  identity: IdentityHeaders = DEFAULT_IDENTITY_HEADERS,
  { jwt = true }: { jwt?: boolean } = {},
): void {
  expect(envoy.filterNames).toEqual([
    ENVOY_FILTER.headerMutation,
    ...(jwt ? [ENVOY_FILTER.jwtAuthn] : []),
    ENVOY_FILTER.extProc,
    ENVOY_FILTER.router,
  ]);
  expectHeaderSanitizer(httpFilterConfig(envoy, ENVOY_FILTER.headerMutation), identity);
  if (jwt) expectJwtAuthn(httpFilterConfig(envoy, ENVOY_FILTER.jwtAuthn), identity);
  expectExtProcContract(httpFilterConfig(envoy, ENVOY_FILTER.extProc));
}
