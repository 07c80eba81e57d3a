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
  aggregateCluster: 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig',
  previousPriorities:
    'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
  previousHosts: 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
  stdoutAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
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
/** The router's dynamic metadata namespace (the policy's response.dynamic_metadata_namespace, default). */
export const ROUTER_METADATA_NAMESPACE = 'io.envoy.semantic_router';
/** Router metadata keys the access log prints. */
export const ACCESS_LOG_METADATA_KEYS = [
  'decision',
  'model',
  'pool',
  'prompt_tokens',
  'completion_tokens',
  'ttft_ms',
  'cost',
] as const;
/** Endpoint metadata key (in the router's namespace) holding the pool cluster an endpoint belongs to. */
export const ENDPOINT_CLUSTER_KEY = 'cluster';
/**
 * The value Envoy gives x-router-upstream-cluster: the answering host's pool cluster. Not %UPSTREAM_CLUSTER%, which
 * is the route's cluster (the aggregate `p--q` after a failover), see docs/failover.md.
 */
export const upstreamClusterHeaderValue = (namespace: string = ROUTER_METADATA_NAMESPACE): string =>
  `%UPSTREAM_METADATA(${namespace}:${ENDPOINT_CLUSTER_KEY})%`;
/** Retry conditions of the failover route (f) and of the pool route (a). */
export const FAILOVER_RETRY_ON = ['5xx', 'reset', 'connect-failure', 'refused-stream'] as const;
export const POOL_RETRY_ON = ['reset', 'connect-failure', 'refused-stream'] as const;
export const AGGREGATE_CLUSTER_TYPE = 'envoy.clusters.aggregate';

/** The request headers that carry the caller's identity (the policy's identity.*_header). */
export interface IdentityHeaders {
  readonly userId: string;
  readonly userGroups: string;
}
export const DEFAULT_IDENTITY_HEADERS: IdentityHeaders = {
  userId: 'x-authz-user-id',
  userGroups: 'x-authz-user-groups',
};

/** The rate-limit / cache-scope key headers at their defaults (rate_limits.tenant_header / user_header). */
export const DEFAULT_RATE_LIMIT_KEY_HEADERS: readonly string[] = ['x-tenant-id', 'x-user-id'];

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
  const allClusters = list(staticResources.clusters, 'clusters').map((c, i) => obj(c, `clusters[${i}]`));
  const isAggregate = (cluster: Plain) =>
    cluster.cluster_type !== undefined &&
    obj(cluster.cluster_type, 'cluster_type').name === AGGREGATE_CLUSTER_TYPE;
  // Clusters with endpoints (the router's, the pools', a JWKS one); the failover clusters are kept apart.
  const clusters = allClusters.filter((cluster) => !isAggregate(cluster));
  const aggregateClusters = allClusters.filter(isAggregate);
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
    /** Clusters with endpoints: the router's, one per pool, a JWKS one (not the aggregate failover clusters). */
    clusters,
    clusterNames: clusters.map((cluster) => String(cluster.name)),
    /** The envoy.clusters.aggregate clusters (failover `p--q`), in file order. */
    aggregateClusters,
    /** Every cluster name, aggregate ones included, in file order. */
    allClusterNames: allClusters.map((cluster) => String(cluster.name)),
    hcm,
    httpFilters,
    filterNames: httpFilters.map((filter) => filter.name),
    routes: list(virtualHost.routes, 'routes').map((r, i) => obj(r, `routes[${i}]`)),
  };
}

export type DecodedBootstrap = ReturnType<typeof decodeBootstrap>;

/** The ext_proc ExternalProcessor config (typed_config of the filter) follows DESIGN.md's contract. */
export function expectExtProcContract(
  extProc: Plain,
  metadataNamespace: string = ROUTER_METADATA_NAMESPACE,
): void {
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
  const metadataOptions = obj(extProc.metadata_options, 'metadata_options');
  const forwarded = obj(metadataOptions.forwarding_namespaces, 'forwarding');
  expect(forwarded.untyped).toContain(JWT_PAYLOAD_METADATA.namespace);
  // The router's ProcessingResponse.dynamic_metadata is kept (Envoy drops namespaces it is not told to receive).
  const received = obj(metadataOptions.receiving_namespaces, 'receiving_namespaces');
  expect(received.untyped).toEqual([metadataNamespace]);
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
  const { routes, clusters, allClusterNames } = envoy;
  for (const route of routes) {
    const action = route.route === undefined ? undefined : obj(route.route, 'route');
    if (typeof action?.cluster === 'string') expect(allClusterNames).toContain(action.cluster);
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

/**
 * A header_mutation config removes the identity, router-only and rate-limit key headers (and no more) from every
 * request.
 */
export function expectHeaderSanitizer(
  headerMutation: Plain,
  identity: IdentityHeaders,
  rateLimitKeys: readonly string[] = DEFAULT_RATE_LIMIT_KEY_HEADERS,
): string[] {
  expect(headerMutation['@type']).toBe(ENVOY_TYPE.headerMutation);
  const mutations = obj(headerMutation.mutations, 'mutations');
  expect(mutations.response_mutations ?? []).toEqual([]);
  const removed = list(mutations.request_mutations, 'request_mutations').map((m, i) => {
    const mutation = obj(m, `request_mutations[${i}]`);
    expect(Object.keys(mutation), 'only removals').toEqual(['remove']);
    return String(mutation.remove);
  });
  expect(removed).toEqual(
    expect.arrayContaining([identity.userId, identity.userGroups, ...ROUTER_ONLY_HEADERS, ...rateLimitKeys]),
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

/** Name of the aggregate cluster that tries `primary` first and retries on `fallback` (x-router-failover-cluster). */
export const failoverClusterName = (primary: string, fallback: string): string => `${primary}--${fallback}`;

/** The Envoy clusters a routing policy implies: one per pool, and one ordered pair per failover model's pools. */
export interface PolicyEnvoyClusters {
  /** Envoy cluster name of each pool (`envoy_cluster`, else `name`), in policy order. */
  readonly poolClusters: readonly string[];
  /** Every ordered pair (p, q), p != q, of the pool clusters of each `failover: true` model, without repeats. */
  readonly failoverPairs: readonly (readonly [string, string])[];
}

/** The clusters implied by a parsed policy document (its `pools` and `models`). */
export function policyEnvoyClusters(policyDocument: unknown, what = 'policy'): PolicyEnvoyClusters {
  const policy = obj(policyDocument, what);
  const clusterOf = new Map<string, string>();
  const poolClusters = list(policy.pools, `${what}.pools`).map((entry, i) => {
    const pool = obj(entry, `${what}.pools[${i}]`);
    const cluster = pool.envoy_cluster ?? pool.name;
    if (typeof pool.name !== 'string' || typeof cluster !== 'string')
      throw new Error(`${what}.pools[${i}] has no name`);
    clusterOf.set(pool.name, cluster);
    return cluster;
  });
  const pairs = new Map<string, readonly [string, string]>();
  list(policy.models ?? [], `${what}.models`).forEach((entry, i) => {
    const model = obj(entry, `${what}.models[${i}]`);
    if (model.failover !== true) return;
    const clusters = list(model.pools, `${what}.models[${i}].pools`).map((pool) => {
      const cluster = clusterOf.get(String(pool));
      if (cluster === undefined)
        throw new Error(`${what}.models[${i}] names an unknown pool ${String(pool)}`);
      return cluster;
    });
    for (const primary of clusters)
      for (const fallback of clusters)
        if (primary !== fallback) pairs.set(failoverClusterName(primary, fallback), [primary, fallback]);
  });
  return { poolClusters, failoverPairs: [...pairs.values()] };
}

/**
 * The aggregate clusters are exactly one per failover pair: `p--q` = envoy.clusters.aggregate over [p, q] (p's
 * priorities first), CLUSTER_PROVIDED load balancing, over pool clusters that exist. Cluster names are unique.
 */
export function expectFailoverClusters(
  envoy: DecodedBootstrap,
  pairs: readonly (readonly [string, string])[],
): void {
  expect(new Set(envoy.allClusterNames).size, 'cluster names are unique').toBe(envoy.allClusterNames.length);
  const names = envoy.aggregateClusters.map((cluster) => String(cluster.name));
  expect([...names].sort()).toEqual(pairs.map(([p, q]) => failoverClusterName(p, q)).sort());
  for (const [primary, fallback] of pairs) {
    const name = failoverClusterName(primary, fallback);
    expect(primary).not.toBe(fallback);
    const cluster = obj(
      envoy.aggregateClusters.find((candidate) => candidate.name === name),
      name,
    );
    expect(cluster.lb_policy, name).toBe('CLUSTER_PROVIDED');
    expect(cluster.load_assignment, name).toBeUndefined();
    expect(cluster.cluster_type, name).toEqual({
      name: AGGREGATE_CLUSTER_TYPE,
      typed_config: { '@type': ENVOY_TYPE.aggregateCluster, clusters: [primary, fallback] },
    });
    for (const member of [primary, fallback]) {
      expect(envoy.clusterNames, `${name} aggregates ${member}`).toContain(member);
      expect(member).not.toBe(ROUTER_CLUSTER);
    }
  }
}

function presentHeaderRoute(routes: readonly Plain[], header: string): number {
  return routes.findIndex((route) =>
    list(obj(route.match, 'match').headers ?? [], 'headers').some((h) => {
      const matcher = obj(h, 'header');
      return matcher.name === header && matcher.present_match === true;
    }),
  );
}

function expectPreviousHostsRetry(retryPolicy: Plain, what: string): void {
  expect(retryPolicy.retry_host_predicate, what).toEqual([
    {
      name: 'envoy.retry_host_predicates.previous_hosts',
      typed_config: { '@type': ENVOY_TYPE.previousHosts },
    },
  ]);
}

/**
 * Failover and retries: route (f) on x-router-failover-cluster comes before route (a) on x-selected-pool, sends the
 * request to the aggregate cluster it names with one retry on 5xx and connection failures that skips the priorities
 * (i.e. the pool) already tried; route (a) retries connection-level failures once on another host of its pool.
 * Both add x-router-upstream-cluster (the answering host's pool cluster) to the response. Returns the two routes.
 */
export function expectFailoverRouting(
  envoy: DecodedBootstrap,
  metadataNamespace: string = ROUTER_METADATA_NAMESPACE,
): { failover: Plain; pool: Plain } {
  const { routes } = envoy;
  const failoverIndex = presentHeaderRoute(routes, HEADER.routerFailoverCluster);
  const poolIndex = presentHeaderRoute(routes, HEADER.selectedPool);
  expect(failoverIndex, 'route (f)').toBeGreaterThanOrEqual(0);
  expect(failoverIndex, 'route (f) before route (a)').toBeLessThan(poolIndex);
  const failover = routes[failoverIndex] ?? {};
  const pool = routes[poolIndex] ?? {};
  expect(failover.match).toEqual({
    prefix: '/',
    headers: [{ name: HEADER.routerFailoverCluster, present_match: true }],
  });
  const failoverAction = obj(failover.route, 'route (f)');
  const poolAction = obj(pool.route, 'route (a)');
  expect(failoverAction.cluster_header).toBe(HEADER.routerFailoverCluster);
  expect(failoverAction.timeout).toEqual(poolAction.timeout);

  const failoverRetry = obj(failoverAction.retry_policy, 'route (f) retry_policy');
  expect(String(failoverRetry.retry_on).split(',').sort()).toEqual([...FAILOVER_RETRY_ON].sort());
  expect(failoverRetry.num_retries).toEqual({ value: 1 });
  // The aggregate cluster linearises [primary, fallback] into priorities; the retry excludes the one tried.
  expect(failoverRetry.retry_priority).toEqual({
    name: 'envoy.retry_priorities.previous_priorities',
    typed_config: { '@type': ENVOY_TYPE.previousPriorities, update_frequency: 1 },
  });
  expectPreviousHostsRetry(failoverRetry, 'route (f)');

  const poolRetry = obj(poolAction.retry_policy, 'route (a) retry_policy');
  expect(String(poolRetry.retry_on).split(',').sort()).toEqual([...POOL_RETRY_ON].sort());
  expect(poolRetry.num_retries).toEqual({ value: 1 });
  expect(poolRetry.retry_priority).toBeUndefined();
  expectPreviousHostsRetry(poolRetry, 'route (a)');

  for (const [what, route] of [
    ['route (f)', failover],
    ['route (a)', pool],
  ] as const) {
    expect(route.response_headers_to_add, what).toEqual([
      {
        header: { key: HEADER.routerUpstreamCluster, value: upstreamClusterHeaderValue(metadataNamespace) },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
      },
      {
        // Retries re-send the same request, so the router charges the primary pool only when Envoy tried it first.
        header: { key: HEADER.routerUpstreamAttempts, value: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%' },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
      },
    ]);
  }
  // The default route (b) serves requests the router did not route: no retry policy, no failover.
  expect(obj(routes.at(-1)?.route, 'route (b)').retry_policy).toBeUndefined();
  return { failover, pool };
}

/** A string field of a decoded google.protobuf.Struct (`{fields: {key: {stringValue}}}`, protobufjs' own names). */
function structString(struct: unknown, key: string, what: string): unknown {
  const fields = obj(obj(struct, what).fields, `${what}.fields`);
  if (fields[key] === undefined) return undefined;
  const value = obj(fields[key], `${what}.${key}`);
  return value.stringValue ?? value.string_value;
}

/** Outlier detection of every pool cluster (Envoy's defaults would never eject a host for 5xx answers here). */
export interface OutlierDetection {
  readonly consecutive5xx: number;
  readonly intervalSeconds: number;
  readonly baseEjectionSeconds: number;
  readonly maxEjectionPercent: number;
}
export const DEFAULT_OUTLIER_DETECTION: OutlierDetection = {
  consecutive5xx: 5,
  intervalSeconds: 10,
  baseEjectionSeconds: 30,
  maxEjectionPercent: 50,
};

/**
 * Every pool cluster ejects failing hosts (outlier detection) and tags each endpoint with its own cluster name in
 * the router's metadata namespace (what x-router-upstream-cluster reports).
 */
export function expectPoolClusterResilience(
  envoy: DecodedBootstrap,
  poolClusterNames: readonly string[],
  {
    metadataNamespace = ROUTER_METADATA_NAMESPACE,
    outlier = DEFAULT_OUTLIER_DETECTION,
  }: { metadataNamespace?: string; outlier?: OutlierDetection } = {},
): void {
  expect(poolClusterNames.length).toBeGreaterThan(0);
  for (const name of poolClusterNames) {
    const cluster = obj(
      envoy.clusters.find((candidate) => candidate.name === name),
      name,
    );
    const detection = obj(cluster.outlier_detection, `${name}.outlier_detection`);
    expect(obj(detection.consecutive_5xx, 'consecutive_5xx').value, name).toBe(outlier.consecutive5xx);
    expect(seconds(detection.interval, 'interval'), name).toBe(outlier.intervalSeconds);
    expect(seconds(detection.base_ejection_time, 'base_ejection_time'), name).toBe(
      outlier.baseEjectionSeconds,
    );
    expect(obj(detection.max_ejection_percent, 'max_ejection_percent').value, name).toBe(
      outlier.maxEjectionPercent,
    );
    const assignment = obj(cluster.load_assignment, `${name}.load_assignment`);
    for (const [i, locality] of list(assignment.endpoints, 'endpoints').entries()) {
      for (const [j, lbEndpoint] of list(obj(locality, 'locality').lb_endpoints, 'lb_endpoints').entries()) {
        const what = `${name}.endpoints[${i}].lb_endpoints[${j}].metadata`;
        const filterMetadata = obj(obj(obj(lbEndpoint, what).metadata, what).filter_metadata, what);
        expect(structString(filterMetadata[metadataNamespace], ENDPOINT_CLUSTER_KEY, what), what).toBe(name);
      }
    }
  }
  const router = envoy.clusters.find((cluster) => cluster.name === ROUTER_CLUSTER);
  expect(router?.outlier_detection).toBeUndefined(); // one local router: nothing to eject it to
}

/**
 * The stdout access log prints the router's dynamic metadata (decision, model, pool, tokens, TTFT, cost), the pool
 * cluster that answered and what it printed before. Returns the format string.
 */
export function expectRouterAccessLog(
  envoy: DecodedBootstrap,
  metadataNamespace: string = ROUTER_METADATA_NAMESPACE,
): string {
  const logs = list(envoy.hcm.access_log, 'access_log').map((entry, i) => obj(entry, `access_log[${i}]`));
  const stdout = obj(
    logs.find((entry) => entry.name === 'envoy.access_loggers.stdout')?.typed_config,
    'stdout access log',
  );
  expect(stdout['@type']).toBe(ENVOY_TYPE.stdoutAccessLog);
  const format = String(
    obj(obj(stdout.log_format, 'log_format').text_format_source, 'text_format_source').inline_string,
  );
  for (const key of ACCESS_LOG_METADATA_KEYS)
    expect(format).toContain(`%DYNAMIC_METADATA(${metadataNamespace}:${key})%`);
  expect(format).toContain(upstreamClusterHeaderValue(metadataNamespace));
  for (const operator of [
    '%START_TIME%',
    '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
    '%RESPONSE_CODE%',
    '%RESPONSE_FLAGS%',
    '%DURATION%',
    '%REQ(X-SELECTED-MODEL)%',
    '%REQ(X-SELECTED-POOL)%',
    '%UPSTREAM_CLUSTER%',
    '%UPSTREAM_HOST%',
    '%RESP(X-ROUTER-DECISION)%',
    '%RESP(X-ROUTER-RESPONSE-PATH)%',
    '%REQ(X-REQUEST-ID)%',
  ])
    expect(format).toContain(operator);
  return format;
}
