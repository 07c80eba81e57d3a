// deploy/envoy.yaml is decoded into Envoy's own envoy.config.bootstrap.v3.Bootstrap (the canonical protos shipped
// in @grpc/grpc-js-xds), strictly: unknown fields, unresolvable `@type`s, bad enum names, two oneof members and
// the protoc-gen-validate rules Envoy enforces all fail. Then the parts of the Envoy contract in DESIGN.md are
// checked on the decoded message, and the pool clusters against policies/default.yaml.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { canonicalIncludeDirs, loadCanonicalRoot } from '../helpers/envoy-canonical.ts';
import {
  includeDirsTypeUrlResolver,
  messageToPlain,
  ProtoJsonError,
  type ProtoJsonOptions,
  protoJsonToMessage,
} from '../helpers/proto-json.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENVOY_YAML = path.join(repoRoot, 'deploy/envoy.yaml');
const DEFAULT_POLICY = path.join(repoRoot, 'policies/default.yaml');

const TYPE = {
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  extProc: 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
  extProcPerRoute: 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;
const ROUTER_CLUSTER = 'semantic-router';
const MIB = 1024 * 1024;

/** A fresh root holding only bootstrap.proto: every typed_config type must be found and loaded on demand. */
function bootstrapSchema(): { type: protobuf.Type; options: ProtoJsonOptions } {
  const root = loadCanonicalRoot(['envoy/config/bootstrap/v3/bootstrap.proto']);
  return {
    type: root.lookupType('envoy.config.bootstrap.v3.Bootstrap'),
    options: {
      resolveTypeUrl: includeDirsTypeUrlResolver(root, canonicalIncludeDirs),
      rejectDeprecated: true,
    },
  };
}

const schema = bootstrapSchema();

function obj(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

function seconds(duration: unknown, what: string): number {
  const { seconds: whole = 0, nanos = 0 } = obj(duration, what);
  return Number(whole) + Number(nanos) / 1e9;
}

/** deploy/envoy.yaml decoded (throws its ProtoJsonError in every test when it is not a valid Bootstrap). */
function decodeEnvoyYaml() {
  const decoded = protoJsonToMessage(schema.type, parse(readFileSync(ENVOY_YAML, 'utf8')), schema.options);
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

let decodedEnvoyYaml: ReturnType<typeof decodeEnvoyYaml> | undefined;
function envoy(): ReturnType<typeof decodeEnvoyYaml> {
  decodedEnvoyYaml ??= decodeEnvoyYaml();
  return decodedEnvoyYaml;
}

function convert(yamlText: string): void {
  protoJsonToMessage(schema.type, parse(yamlText), schema.options);
}

/** The ProtoJsonError that converting `yamlText` as a Bootstrap throws. */
function rejection(yamlText: string): ProtoJsonError {
  try {
    convert(yamlText);
  } catch (error) {
    if (error instanceof ProtoJsonError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

// Tiny inline Bootstrap configs for the rejection tests.
const cluster = (name: string, extraField = '') => `
    - name: ${name}
      type: STATIC
      connect_timeout: 1s${extraField === '' ? '' : `\n      ${extraField}`}
      load_assignment:
        cluster_name: ${name}
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }]`;
const withClusters = (...clusters: string[]) => `static_resources:\n  clusters:${clusters.join('')}`;
const ROUTER_FILTER = `{ name: r, typed_config: { '@type': ${TYPE.router} } }`;
const HCM_PATH = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const listenerWith = (httpFilter: string) => `
static_resources:
  listeners:
    - name: l
      address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                '@type': ${TYPE.hcm}
                statPrefix: ingress
                route_config:
                  virtual_hosts: [{ name: v, domains: ['*'], routes: [{ match: { prefix: / }, route: { cluster: c } }] }]
                http_filters:
                  - ${httpFilter}`;

function poolClusterNamesFromPolicy(): string[] {
  const policy = obj(parse(readFileSync(DEFAULT_POLICY, 'utf8')), 'policies/default.yaml');
  return list(policy.pools, 'pools').map((entry, i) => {
    const pool = obj(entry, `pools[${i}]`);
    const name = pool.envoy_cluster ?? pool.name;
    if (typeof name !== 'string') throw new Error(`pools[${i}] has no name`);
    return name;
  });
}

describe('deploy/envoy.yaml is a valid Envoy v3 Bootstrap', () => {
  it('decodes strictly into envoy.config.bootstrap.v3.Bootstrap and resolves every @type', () => {
    const { decoded, bootstrap, listener, hcm } = envoy();
    expect(decoded.bytes.length).toBeGreaterThan(0);
    expect(schema.type.verify(decoded.message)).toBeNull();
    expect(decoded.typeUrls).toEqual(
      expect.arrayContaining([
        TYPE.hcm,
        TYPE.extProc,
        TYPE.extProcPerRoute,
        TYPE.router,
        TYPE.httpProtocolOptions,
        'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      ]),
    );
    const admin = obj(obj(obj(bootstrap.admin, 'admin').address, 'address').socket_address, 'socket_address');
    expect(admin).toMatchObject({ address: '127.0.0.1', port_value: 9901 });
    expect(obj(obj(listener.address, 'address').socket_address, 'socket')).toMatchObject({
      address: '0.0.0.0',
      port_value: 8080,
    });
    expect(hcm.codec_type ?? 'AUTO').toBe('AUTO'); // AUTO is the enum's zero value: omitted when decoded
    expect(hcm.stat_prefix).toBeTruthy();
  });

  it('rejects unknown fields with their path, in messages and inside Any', () => {
    expect(() => convert(withClusters(cluster('a'), cluster('b')))).not.toThrow();
    expect(rejection(withClusters(cluster('a'), cluster('b', 'foo: 1'))).path).toBe(
      'static_resources.clusters[1].foo',
    );
    expect(rejection(withClusters(cluster('a', 'connect_timeout2: 1s'))).path).toBe(
      'static_resources.clusters[0].connect_timeout2',
    );
    const bogus = `{ name: r, typed_config: { '@type': ${TYPE.router}, suppress_envoy_headers: true, bogus: 1 } }`;
    expect(rejection(listenerWith(bogus)).path).toBe(`${HCM_PATH}.http_filters[0].typed_config.bogus`);
  });

  it('rejects an unknown @type and accepts lowerCamelCase json_name spellings', () => {
    expect(() => convert(listenerWith(ROUTER_FILTER))).not.toThrow(); // the HCM is spelled with statPrefix
    const unknownType =
      "{ name: x, typed_config: { '@type': type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope } }";
    const error = rejection(listenerWith(unknownType));
    expect(error.path).toBe(`${HCM_PATH}.http_filters[0].typed_config["@type"]`);
    expect(error.message).toMatch(/nope\.v3\.Nope/);
    expect(rejection(withClusters(cluster('a', 'connectTimeout: 2s'))).message).toMatch(/given twice/);
  });

  it('rejects bad enum names, durations, two oneof members, missing required fields and deprecated fields', () => {
    expect(rejection(withClusters(cluster('a', 'lb_policy: FASTEST'))).message).toMatch(/FASTEST/);
    expect(rejection(withClusters(cluster('a').replace('1s', '1 second'))).path).toBe(
      'static_resources.clusters[0].connect_timeout',
    );
    // protoc-gen-validate rules, as Envoy enforces them: a cluster name is non-empty, ext_proc needs grpc_service.
    expect(rejection(withClusters(cluster("''"))).path).toBe('static_resources.clusters[0].name');
    expect(rejection(listenerWith(`{ name: e, typed_config: { '@type': ${TYPE.extProc} } }`)).path).toBe(
      `${HCM_PATH}.http_filters[0].typed_config.grpc_service`,
    );
    const twoClusters = listenerWith(ROUTER_FILTER).replace(
      'route: { cluster: c }',
      'route: { cluster: c, cluster_header: x-selected-pool }',
    );
    expect(rejection(twoClusters).message).toMatch(/oneof cluster_specifier/);
    const deprecated = listenerWith(ROUTER_FILTER).replace(
      'statPrefix: ingress',
      'statPrefix: ingress\n                access_log_flush_interval: 1s',
    );
    expect(rejection(deprecated).message).toMatch(/access_log_flush_interval .*deprecated/);
  });
});

describe('deploy/envoy.yaml follows the Envoy contract of DESIGN.md', () => {
  it('runs ext_proc before the router, with the required processing mode and timeouts', () => {
    const { httpFilters, filterNames, clusterNames } = envoy();
    const extProc = obj(
      httpFilters.find((f) => f.name === 'envoy.filters.http.ext_proc')?.typed_config,
      'ext_proc',
    );
    const extProcIndex = filterNames.indexOf('envoy.filters.http.ext_proc');
    expect(extProcIndex).toBeGreaterThanOrEqual(0);
    expect(filterNames.at(-1)).toBe('envoy.filters.http.router');
    expect(extProcIndex).toBeLessThan(filterNames.indexOf('envoy.filters.http.router'));
    expect(extProc['@type']).toBe(TYPE.extProc);
    expect(obj(httpFilters.at(-1)?.typed_config, 'router')['@type']).toBe(TYPE.router);

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
    expect(seconds(extProc.max_message_timeout, 'max_message_timeout')).toBeGreaterThanOrEqual(
      messageTimeout,
    );
    // The router's clear_route_cache must be honoured.
    expect(extProc.disable_clear_route_cache ?? false).toBe(false);
    expect(extProc.route_cache_action ?? 'DEFAULT').not.toBe('RETAIN');
    const grpcService = obj(extProc.grpc_service, 'grpc_service');
    expect(obj(grpcService.envoy_grpc, 'envoy_grpc').cluster_name).toBe(ROUTER_CLUSTER);
    expect(clusterNames).toContain(ROUTER_CLUSTER);
    expect(seconds(grpcService.timeout, 'grpc_service.timeout')).toBeGreaterThan(0);
  });

  it('routes on x-selected-pool first, then to a default pool; buffers are large enough', () => {
    const { routes, listener, clusters } = envoy();
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
    expect(obj(fallback.route, 'route').cluster).toBe('l4-pool');
    expect(seconds(obj(fallback.route, 'route').timeout, 'timeout')).toBeGreaterThanOrEqual(60);

    const limit = (holder: Record<string, unknown>) =>
      Number(obj(holder.per_connection_buffer_limit_bytes, 'per_connection_buffer_limit_bytes').value);
    expect(limit(listener)).toBeGreaterThanOrEqual(4 * MIB);
    for (const cluster of clusters)
      expect(limit(cluster), String(cluster.name)).toBeGreaterThanOrEqual(4 * MIB);
  });

  it('has one cluster per pool of policies/default.yaml', () => {
    const { clusters, clusterNames } = envoy();
    const pools = poolClusterNamesFromPolicy();
    const poolClusters = clusterNames.filter((name) => name !== ROUTER_CLUSTER);
    expect(new Set(poolClusters)).toEqual(new Set(pools));
    expect(poolClusters).toHaveLength(pools.length);
    for (const cluster of clusters) {
      const assignment = obj(cluster.load_assignment, `${String(cluster.name)}.load_assignment`);
      expect(assignment.cluster_name).toBe(cluster.name);
      expect(list(assignment.endpoints, 'endpoints').length).toBeGreaterThan(0);
      expect(seconds(cluster.connect_timeout, 'connect_timeout')).toBeGreaterThan(0);
    }
  });

  it('sends the default route to an existing cluster and speaks HTTP/2 to the semantic router', () => {
    const { routes, clusters, clusterNames } = envoy();
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
    expect(protocolOptions['@type']).toBe(TYPE.httpProtocolOptions);
    expect(obj(protocolOptions.explicit_http_config, 'explicit_http_config')).toHaveProperty(
      'http2_protocol_options',
    );
  });
});
