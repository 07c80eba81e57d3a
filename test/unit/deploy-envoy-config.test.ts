// deploy/envoy.yaml is decoded into Envoy's own envoy.config.bootstrap.v3.Bootstrap (the canonical protos shipped
// in @grpc/grpc-js-xds), strictly: unknown fields, unresolvable `@type`s, bad enum names, two oneof members and
// the protoc-gen-validate rules Envoy enforces all fail. Then the parts of the Envoy contract in DESIGN.md are
// checked on the decoded message, and the pool and failover clusters against policies/default.yaml.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  bootstrapSchema,
  convertBootstrap,
  DEFAULT_IDENTITY_HEADERS,
  decodeBootstrap,
  ENVOY_FILTER,
  expectExtProcBeforeRouter,
  expectFailoverClusters,
  expectFailoverRouting,
  expectHeaderSanitizer,
  expectIdentityFilterChain,
  expectJwtAuthn,
  expectOneClusterPerPool,
  expectPathAndHeaderHardening,
  expectPoolClusterResilience,
  expectPoolRouting,
  expectRouterAccessLog,
  expectRouteTargetsAndHttp2Router,
  failoverClusterName,
  httpFilterConfig,
  JWT_PAYLOAD_METADATA,
  obj,
  policyEnvoyClusters,
  ROUTER_METADATA_NAMESPACE,
  ROUTER_ONLY_HEADERS,
  ENVOY_TYPE as TYPE,
} from '../helpers/envoy-bootstrap-checks.ts';
import { ProtoJsonError } from '../helpers/proto-json.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENVOY_YAML = path.join(repoRoot, 'deploy/envoy.yaml');
const DEFAULT_POLICY = path.join(repoRoot, 'policies/default.yaml');

const schema = bootstrapSchema();

let decodedEnvoyYaml: ReturnType<typeof decodeBootstrap> | undefined;
/** deploy/envoy.yaml decoded (throws its ProtoJsonError in every test when it is not a valid Bootstrap). */
function envoy(): ReturnType<typeof decodeBootstrap> {
  decodedEnvoyYaml ??= decodeBootstrap(readFileSync(ENVOY_YAML, 'utf8'));
  return decodedEnvoyYaml;
}

function convert(yamlText: string): void {
  convertBootstrap(yamlText);
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

/** policies/default.yaml parsed. */
const defaultPolicy = (): Record<string, unknown> =>
  obj(parse(readFileSync(DEFAULT_POLICY, 'utf8')), 'policies/default.yaml');

/** The pool clusters and failover pairs policies/default.yaml implies. */
const clustersOfDefaultPolicy = () => policyEnvoyClusters(defaultPolicy(), 'policies/default.yaml');

function poolClusterNamesFromPolicy(): readonly string[] {
  return clustersOfDefaultPolicy().poolClusters;
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
        TYPE.headerMutation,
        TYPE.jwtAuthn,
        TYPE.stdoutAccessLog,
        TYPE.aggregateCluster,
        TYPE.previousPriorities,
        TYPE.previousHosts,
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

  it('checks loose (strict: false) header names as protoc-gen-validate does: unset passes, CR/LF/NUL fail', () => {
    const jwtFilter = (extra: string) =>
      `{ name: j, typed_config: { '@type': ${TYPE.jwtAuthn}, providers: { p: { local_jwks: { inline_string: '{}' }${extra} } } } }`;
    expect(() => convert(listenerWith(jwtFilter('')))).not.toThrow(); // forward_payload_header unset
    expect(rejection(listenerWith(jwtFilter(', forward_payload_header: "x\\rb"'))).path).toBe(
      `${HCM_PATH}.http_filters[0].typed_config.providers["p"].forward_payload_header`,
    );
  });
});

describe('deploy/envoy.yaml follows the Envoy contract of DESIGN.md', () => {
  it('runs ext_proc before the router, with the required processing mode and timeouts', () => {
    expectExtProcBeforeRouter(envoy());
  });

  it('routes on x-selected-pool first, then to a default pool; buffers are large enough', () => {
    expectPoolRouting(envoy(), 'l4-pool');
  });

  it('has one cluster per pool of policies/default.yaml', () => {
    expectOneClusterPerPool(envoy(), poolClusterNamesFromPolicy());
  });

  it('sends the default route to an existing cluster and speaks HTTP/2 to the semantic router', () => {
    expectRouteTargetsAndHttp2Router(envoy());
  });

  it("receives the router's dynamic metadata and prints it in the access log", () => {
    const extProc = httpFilterConfig(envoy(), ENVOY_FILTER.extProc);
    expect(obj(extProc.metadata_options, 'metadata_options').receiving_namespaces).toEqual({
      untyped: [ROUTER_METADATA_NAMESPACE],
    });
    // The policy's response.dynamic_metadata_namespace is the one Envoy receives (default when unset).
    const response = defaultPolicy().response as { dynamic_metadata_namespace?: string } | undefined;
    expect(response?.dynamic_metadata_namespace ?? ROUTER_METADATA_NAMESPACE).toBe(ROUTER_METADATA_NAMESPACE);
    const format = expectRouterAccessLog(envoy());
    expect(format).toContain('%DYNAMIC_METADATA(io.envoy.semantic_router:decision)%');
  });
});

describe("deploy/envoy.yaml moves a failing pool's traffic (docs/failover.md)", () => {
  it('has an aggregate cluster for every ordered pair of pools of every failover model of policies/default.yaml', () => {
    const { failoverPairs } = clustersOfDefaultPolicy();
    expectFailoverClusters(envoy(), failoverPairs);
  });

  it('fails over small-chat between l4-pool and h100-pool, both ways', () => {
    const model = (obj(defaultPolicy(), 'policy').models as { name: string; failover?: boolean }[]).find(
      (entry) => entry.name === 'small-chat',
    );
    expect(model?.failover).toBe(true);
    expect(envoy().aggregateClusters.map((cluster) => cluster.name)).toEqual([
      failoverClusterName('l4-pool', 'h100-pool'),
      failoverClusterName('h100-pool', 'l4-pool'),
    ]);
    expect(envoy().allClusterNames.slice(-2)).toEqual(['l4-pool--h100-pool', 'h100-pool--l4-pool']);
  });

  it('routes on x-router-failover-cluster before x-selected-pool, retrying on the fallback pool', () => {
    const { failover, pool } = expectFailoverRouting(envoy());
    // Same upper bound for a request whether or not it may fail over.
    expect(obj(failover.route, 'route (f)').timeout).toEqual({ seconds: 300 });
    expect(obj(pool.route, 'route (a)').timeout).toEqual({ seconds: 300 });
  });

  it('ejects failing hosts within each pool and tags every endpoint with its pool cluster', () => {
    expectPoolClusterResilience(envoy(), poolClusterNamesFromPolicy());
  });

  it('removes client-sent failover and upstream-cluster headers', () => {
    const removed = expectHeaderSanitizer(
      httpFilterConfig(envoy(), ENVOY_FILTER.headerMutation),
      DEFAULT_IDENTITY_HEADERS,
    );
    expect(removed).toEqual(
      expect.arrayContaining(['x-router-failover-cluster', 'x-router-upstream-cluster']),
    );
  });
});

describe('deploy/envoy.yaml closes the bypasses in front of the router', () => {
  it('normalises the path before any filter or route and rejects header names with underscores', () => {
    expectPathAndHeaderHardening(envoy());
  });

  it('runs header_mutation, jwt_authn, ext_proc and the router filter, in that order', () => {
    expectIdentityFilterChain(envoy(), DEFAULT_IDENTITY_HEADERS);
  });

  it('removes client-sent identity headers and every router-only header, keeping x-router-debug', () => {
    const removed = expectHeaderSanitizer(
      httpFilterConfig(envoy(), ENVOY_FILTER.headerMutation),
      DEFAULT_IDENTITY_HEADERS,
    );
    expect(removed).toEqual(
      expect.arrayContaining([
        'x-authz-user-id',
        'x-authz-user-groups',
        'x-selected-model',
        'x-selected-pool',
        'x-router-decision',
      ]),
    );
    expect(ROUTER_ONLY_HEADERS.length).toBeGreaterThanOrEqual(7);
    expect(new Set(removed).size).toBe(removed.length);
  });

  it('verifies JWTs when present, allows anonymous requests and puts the payload into metadata', () => {
    const provider = expectJwtAuthn(
      httpFilterConfig(envoy(), ENVOY_FILTER.jwtAuthn),
      DEFAULT_IDENTITY_HEADERS,
    );
    // Placeholders until an issuer is configured: an empty key set verifies no token.
    expect(provider.issuer).toMatch(/example\.com/);
    expect(JSON.parse(String(obj(provider.local_jwks, 'local_jwks').inline_string))).toEqual({ keys: [] });
    expect(provider.remote_jwks).toBeUndefined();
  });

  it('forwards the jwt_authn metadata namespace to the router', () => {
    const extProc = httpFilterConfig(envoy(), ENVOY_FILTER.extProc);
    expect(extProc.metadata_options).toEqual({
      forwarding_namespaces: { untyped: [JWT_PAYLOAD_METADATA.namespace] },
      receiving_namespaces: { untyped: [ROUTER_METADATA_NAMESPACE] },
    });
  });
});
