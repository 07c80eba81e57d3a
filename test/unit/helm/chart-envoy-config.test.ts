// The Envoy config the chart generates (sidecar bootstrap, Envoy Gateway / AI Gateway / Istio ext_proc filters)
// decoded strictly into Envoy's canonical protos, like deploy/envoy.yaml, and checked against the policy's pools and
// failover models.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  clusterEndpoints,
  DEFAULT_IDENTITY_HEADERS,
  decodeBootstrap,
  decodeCanonical,
  ENVOY_FILTER,
  ENVOY_TYPE,
  expectExtProcBeforeRouter,
  expectExtProcContract,
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
  httpFilterConfig,
  type IdentityHeaders,
  JWT_PAYLOAD_METADATA,
  obj,
  policyEnvoyClusters,
  ROUTER_METADATA_NAMESPACE,
  upstreamClusterHeaderValue,
} from '../../helpers/envoy-bootstrap-checks.ts';
import {
  helmTemplate,
  helmTemplateError,
  type K8sObject,
  type Rendered,
  repoRoot,
} from '../../helpers/helm.ts';

const HCM_PROTO = 'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto';
const HTTP_FILTER = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter';

type Plain = Record<string, unknown>;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);

function envoyConfig(rendered: Rendered) {
  const text = at(rendered.get('ConfigMap', '-envoy'), 'data', 'envoy.yaml');
  if (typeof text !== 'string') throw new Error('no envoy.yaml in the Envoy ConfigMap');
  return decodeBootstrap(text);
}

/** The pool clusters and failover pairs of the policy the chart put into its policy ConfigMap. */
function renderedPolicyClusters(rendered: Rendered) {
  const text = at(rendered.get('ConfigMap', '-policy'), 'data', 'policy.yaml');
  return policyEnvoyClusters(parse(String(text)), 'rendered policy');
}

/** Envoy cluster names of the pools of the policy the chart put into its policy ConfigMap. */
function policyPoolClusters(rendered: Rendered): string[] {
  return [...renderedPolicyClusters(rendered).poolClusters];
}

/** Routes of a decoded config that match on header `name` being present. */
const routesOnHeader = (envoy: ReturnType<typeof envoyConfig>, name: string) =>
  envoy.routes.filter((route) =>
    ((at(route, 'match', 'headers') as Plain[] | undefined) ?? []).some((header) => header.name === name),
  );

/** An HttpFilter (`{name, typed_config}`) decoded strictly as Envoy's HttpFilter message; its typed_config. */
function decodeHttpFilter(
  value: unknown,
  name: string = ENVOY_FILTER.extProc,
  typeUrl: string = ENVOY_TYPE.extProc,
): Plain {
  const { decoded, plain } = decodeCanonical(HCM_PROTO, HTTP_FILTER, value);
  expect(decoded.typeUrls).toContain(typeUrl);
  expect(plain.name).toBe(name);
  return obj(plain.typed_config, 'typed_config');
}

const decodeHeaderMutation = (value: unknown) =>
  decodeHttpFilter(value, ENVOY_FILTER.headerMutation, ENVOY_TYPE.headerMutation);

const defaults = helmTemplate();
const standalone = helmTemplate({ valuesFiles: ['examples/standalone-envoy.yaml'] });

describe('the generated Envoy sidecar config', () => {
  it.each([
    ['default values', defaults],
    ['standalone example', standalone],
  ])('%s: decodes into envoy.config.bootstrap.v3.Bootstrap and follows the Envoy contract', (_, rendered) => {
    const envoy = envoyConfig(rendered);
    expect(envoy.schemaType.verify(envoy.decoded.message)).toBeNull();
    expectExtProcBeforeRouter(envoy);
    expectRouteTargetsAndHttp2Router(envoy);
    expect(clusterEndpoints(envoy).get('semantic-router')).toEqual({ address: '127.0.0.1', port: 50051 });
    const admin = obj(obj(obj(envoy.bootstrap.admin, 'admin').address, 'address').socket_address, 'socket');
    expect(admin.address).toBe('127.0.0.1');
  });

  it('has the HTTP connection manager, listener buffer and router cluster of deploy/envoy.yaml', () => {
    const generated = envoyConfig(defaults);
    const reference = decodeBootstrap(readFileSync(path.join(repoRoot, 'deploy/envoy.yaml'), 'utf8'));
    // The whole HTTP connection manager: filters, processing mode, routes (failover included), access log.
    expect(generated.hcm).toEqual(reference.hcm);
    expect(generated.bootstrap.overload_manager).toEqual(reference.bootstrap.overload_manager);
    const routerCluster = (envoy: typeof generated) =>
      envoy.clusters.find((c) => c.name === 'semantic-router');
    expect(routerCluster(generated)).toEqual(routerCluster(reference));
    expect(generated.listener.per_connection_buffer_limit_bytes).toEqual(
      reference.listener.per_connection_buffer_limit_bytes,
    );
    // And everything else: pool clusters (outlier detection, endpoint metadata), aggregate clusters, in order.
    expect(generated.allClusterNames).toEqual(reference.allClusterNames);
    expect(generated.bootstrap).toEqual(reference.bootstrap);
  });

  it('has one cluster per pool of the rendered policy, named by envoy_cluster or name', () => {
    expectOneClusterPerPool(envoyConfig(defaults), policyPoolClusters(defaults));
    expect(policyPoolClusters(defaults)).toEqual(['l4-pool', 'h100-pool', 'longctx-pool', 'onprem-pool']);
    // The example's pools are named l4 / h100 with envoy_cluster l4-pool / h100-pool.
    expectOneClusterPerPool(envoyConfig(standalone), ['l4-pool', 'h100-pool']);
    expect(clusterEndpoints(envoyConfig(standalone)).get('h100-pool')).toEqual({
      address: 'vllm-h100.inference.svc.cluster.local',
      port: 8000,
    });
  });

  it("routes to the default model's first pool unless envoy.defaultPool says otherwise", () => {
    expectPoolRouting(envoyConfig(defaults), 'l4-pool');
    expectPoolRouting(envoyConfig(standalone), 'l4-pool');
    expectPoolRouting(
      envoyConfig(helmTemplate({ set: { 'envoy.defaultPool': 'onprem-pool' } })),
      'onprem-pool',
    );
  });

  it('follows a pool added to the policy in values, and renders TLS upstreams', () => {
    const rendered = helmTemplate({
      valuesFiles: ['examples/standalone-envoy.yaml'],
      set: {
        'policy.document.pools[2]': { name: 'b200-pool', max_context_tokens: 1000 },
        'envoy.upstreams.b200-pool': { address: 'b200.example.com', port: 443, tls: true },
      },
    });
    const envoy = envoyConfig(rendered);
    expectOneClusterPerPool(envoy, ['l4-pool', 'h100-pool', 'b200-pool']);
    const b200 = envoy.clusters.find((cluster) => cluster.name === 'b200-pool');
    expect(at(b200, 'transport_socket', 'name')).toBe('envoy.transport_sockets.tls');
  });

  it('uses the upstreams as pool clusters with an existing policy ConfigMap', () => {
    const envoy = envoyConfig(helmTemplate({ valuesFiles: ['examples/existing-configmap.yaml'] }));
    expectOneClusterPerPool(envoy, ['h100-pool', 'l4-pool', 'longctx-pool', 'onprem-pool']);
    expectPoolRouting(envoy, 'l4-pool');
  });

  it('follows the configured ports and timeouts', () => {
    const envoy = envoyConfig(
      helmTemplate({
        set: { 'router.grpcPort': 6000, 'envoy.listenerPort': 9000, 'envoy.messageTimeout': '2.5s' },
      }),
    );
    expect(clusterEndpoints(envoy).get('semantic-router')).toEqual({ address: '127.0.0.1', port: 6000 });
    expect(at(envoy.listener, 'address', 'socket_address', 'port_value')).toBe(9000);
    const extProc = httpFilterConfig(envoy, ENVOY_FILTER.extProc);
    expect(extProc.message_timeout).toEqual({ seconds: 2, nanos: 500_000_000 });
  });
});

describe("the generated Envoy sidecar config: the router's metadata and failover", () => {
  it.each([
    ['default values', defaults],
    ['standalone example', standalone],
  ])("%s: receives the router's dynamic metadata and prints it in the access log", (_, rendered) => {
    const envoy = envoyConfig(rendered);
    expect(
      at(httpFilterConfig(envoy, ENVOY_FILTER.extProc), 'metadata_options', 'receiving_namespaces'),
    ).toEqual({
      untyped: [ROUTER_METADATA_NAMESPACE],
    });
    expectRouterAccessLog(envoy);
  });

  it("default values: fails over small-chat's pools like deploy/envoy.yaml, with outlier detection in every pool", () => {
    const envoy = envoyConfig(defaults);
    const { poolClusters, failoverPairs } = renderedPolicyClusters(defaults);
    expect(failoverPairs).toEqual([
      ['l4-pool', 'h100-pool'],
      ['h100-pool', 'l4-pool'],
    ]);
    expectFailoverClusters(envoy, failoverPairs);
    expectFailoverRouting(envoy);
    expectPoolClusterResilience(envoy, poolClusters);
  });

  it('follows a policy with a different failover model: every ordered pair of its pool clusters, once', () => {
    const rendered = helmTemplate({
      valuesFiles: ['examples/standalone-envoy.yaml'],
      set: {
        'policy.document.pools[2]': { name: 'b200', envoy_cluster: 'b200-pool', max_context_tokens: 1000 },
        // `large` fails over across three pools; `small` (l4, h100) not.
        'policy.document.models[1]': {
          name: 'large',
          provider_model_id: 'Qwen/Qwen3-235B-A22B',
          pools: ['h100', 'b200', 'l4'],
          failover: true,
        },
        'envoy.upstreams.b200-pool': { address: 'vllm-b200', port: 8000 },
      },
    });
    const envoy = envoyConfig(rendered);
    const { poolClusters, failoverPairs } = renderedPolicyClusters(rendered);
    expect(failoverPairs).toHaveLength(6);
    expectFailoverClusters(envoy, failoverPairs);
    expect(envoy.aggregateClusters.map((cluster) => cluster.name)).toEqual([
      'h100-pool--b200-pool',
      'h100-pool--l4-pool',
      'b200-pool--h100-pool',
      'b200-pool--l4-pool',
      'l4-pool--h100-pool',
      'l4-pool--b200-pool',
    ]);
    expectFailoverRouting(envoy);
    expectPoolClusterResilience(envoy, poolClusters);
    expectOneClusterPerPool(envoy, ['l4-pool', 'h100-pool', 'b200-pool']);

    // A second failover model over some of the same pools adds only the pairs that are new.
    const both = envoyConfig(
      helmTemplate({
        valuesFiles: ['examples/standalone-envoy.yaml'],
        set: {
          'policy.document.models[0]': {
            name: 'small',
            provider_model_id: 'Qwen/Qwen3-8B',
            pools: ['l4', 'h100'],
            failover: true,
          },
          'policy.document.models[1]': {
            name: 'large',
            provider_model_id: 'Qwen/Qwen3-235B-A22B',
            pools: ['h100', 'l4'],
            failover: true,
          },
        },
      }),
    );
    expectFailoverClusters(both, [
      ['l4-pool', 'h100-pool'],
      ['h100-pool', 'l4-pool'],
    ]);
  });

  it('renders no failover route nor aggregate cluster when no model fails over; route (a) keeps its retry', () => {
    const envoy = envoyConfig(standalone);
    expect(renderedPolicyClusters(standalone).failoverPairs).toEqual([]);
    expect(envoy.aggregateClusters).toEqual([]);
    expect(routesOnHeader(envoy, 'x-router-failover-cluster')).toEqual([]);
    const [poolRoute] = routesOnHeader(envoy, 'x-selected-pool');
    expect(at(poolRoute, 'route', 'retry_policy', 'retry_on')).toBe('reset,connect-failure,refused-stream');
    expect(at(poolRoute, 'response_headers_to_add', 0, 'header')).toEqual({
      key: 'x-router-upstream-cluster',
      value: upstreamClusterHeaderValue(),
    });
    expectPoolClusterResilience(envoy, ['l4-pool', 'h100-pool']);
  });

  it('takes the failover pools from envoy.failoverPools with an existing policy ConfigMap, and only then', () => {
    const valuesFiles = ['examples/existing-configmap.yaml'];
    expect(envoyConfig(helmTemplate({ valuesFiles })).aggregateClusters).toEqual([]);
    const envoy = envoyConfig(
      helmTemplate({
        valuesFiles,
        set: { 'envoy.failoverPools': [['l4-pool', 'h100-pool', 'longctx-pool']] },
      }),
    );
    expectFailoverClusters(envoy, [
      ['l4-pool', 'h100-pool'],
      ['l4-pool', 'longctx-pool'],
      ['h100-pool', 'l4-pool'],
      ['h100-pool', 'longctx-pool'],
      ['longctx-pool', 'l4-pool'],
      ['longctx-pool', 'h100-pool'],
    ]);
    expectFailoverRouting(envoy);
    expect(
      helmTemplateError({ valuesFiles, set: { 'envoy.failoverPools': [['l4-pool', 'b200-pool']] } }),
    ).toMatch(/"b200-pool" is not a pool cluster/);
    expect(helmTemplateError({ set: { 'envoy.failoverPools': [['l4-pool', 'h100-pool']] } })).toMatch(
      /envoy\.failoverPools is only for policy\.existingConfigMap/,
    );
  });

  it("follows envoy.routerMetadataNamespace, which must equal the policy's response.dynamic_metadata_namespace", () => {
    const valuesFiles = ['examples/standalone-envoy.yaml'];
    const namespace = 'com.example.llm_router';
    const response = { dynamic_metadata_namespace: namespace };
    expect(helmTemplateError({ valuesFiles, set: { 'policy.document.response': response } })).toMatch(
      /response\.dynamic_metadata_namespace is "com\.example\.llm_router" but envoy\.routerMetadataNamespace is "io\.envoy\.semantic_router"/,
    );
    const envoy = envoyConfig(
      helmTemplate({
        valuesFiles,
        set: {
          'policy.document.response': response,
          'policy.document.models[0].failover': true,
          'envoy.routerMetadataNamespace': namespace,
        },
      }),
    );
    expectExtProcContract(httpFilterConfig(envoy, ENVOY_FILTER.extProc), namespace);
    const format = expectRouterAccessLog(envoy, namespace);
    expect(format).not.toContain(ROUTER_METADATA_NAMESPACE);
    expectFailoverRouting(envoy, namespace);
    expectPoolClusterResilience(envoy, ['l4-pool', 'h100-pool'], { metadataNamespace: namespace });
  });

  it('follows envoy.outlierDetection', () => {
    const envoy = envoyConfig(
      helmTemplate({
        set: {
          'envoy.outlierDetection': {
            consecutive5xx: 3,
            interval: '5s',
            baseEjectionTime: '60s',
            maxEjectionPercent: 100,
          },
        },
      }),
    );
    expectPoolClusterResilience(envoy, policyPoolClusters(defaults), {
      outlier: { consecutive5xx: 3, intervalSeconds: 5, baseEjectionSeconds: 60, maxEjectionPercent: 100 },
    });
  });
});

describe('the generated Envoy sidecar config closes the bypasses in front of the router', () => {
  const custom: IdentityHeaders = { userId: 'x-caller-id', userGroups: 'x-caller-teams' };
  const withIdentity = (headers: IdentityHeaders) =>
    helmTemplate({
      set: { 'envoy.identity': { userIdHeader: headers.userId, userGroupsHeader: headers.userGroups } },
    });

  it.each([
    ['default values', defaults],
    ['standalone example', standalone],
  ])(
    '%s: path normalisation, header limits, header_mutation -> jwt_authn -> ext_proc -> router',
    (_, rendered) => {
      const envoy = envoyConfig(rendered);
      expectPathAndHeaderHardening(envoy);
      expectIdentityFilterChain(envoy, DEFAULT_IDENTITY_HEADERS);
    },
  );

  it('follows envoy.pathWithEscapedSlashesAction and the header limits', () => {
    const envoy = envoyConfig(
      helmTemplate({
        set: {
          'envoy.pathWithEscapedSlashesAction': 'UNESCAPE_AND_REDIRECT',
          'envoy.maxRequestHeadersKb': 96,
        },
      }),
    );
    expect(envoy.hcm.path_with_escaped_slashes_action).toBe('UNESCAPE_AND_REDIRECT');
    expect(envoy.hcm.max_request_headers_kb).toEqual({ value: 96 });
    expect(helmTemplateError({ set: { 'envoy.pathWithEscapedSlashesAction': 'KEEP_UNCHANGED' } })).toMatch(
      /pathWithEscapedSlashesAction/,
    );
  });

  it('removes and sets the identity headers named in envoy.identity', () => {
    const envoy = envoyConfig(withIdentity(custom));
    expectIdentityFilterChain(envoy, custom);
    const removed = expectHeaderSanitizer(httpFilterConfig(envoy, ENVOY_FILTER.headerMutation), custom);
    expect(removed).not.toContain(DEFAULT_IDENTITY_HEADERS.userId);
    expect(removed).not.toContain(DEFAULT_IDENTITY_HEADERS.userGroups);
    // Envoy rejects client header names with underscores, so an identity header must not have any.
    expect(helmTemplateError({ set: { 'envoy.identity.userIdHeader': 'x_user_id' } })).toMatch(
      /userIdHeader/,
    );
  });

  it("fails when envoy.identity differs from the rendered policy's identity headers", () => {
    // The standalone example renders its own policy document; give it identity headers of its own.
    const valuesFiles = ['examples/standalone-envoy.yaml'];
    const policyIdentity = { user_id_header: 'x-user-id', user_groups_header: 'x-user-groups' };
    expect(helmTemplateError({ valuesFiles, set: { 'policy.document.identity': policyIdentity } })).toMatch(
      /identity\.user_id_header is "x-user-id" but envoy\.identity\.userIdHeader is "x-authz-user-id"/,
    );
    const matching = { userId: 'x-user-id', userGroups: 'x-user-groups' };
    const envoy = envoyConfig(
      helmTemplate({
        valuesFiles,
        set: {
          'policy.document.identity': policyIdentity,
          'envoy.identity': { userIdHeader: matching.userId, userGroupsHeader: matching.userGroups },
        },
      }),
    );
    expectIdentityFilterChain(envoy, matching);
  });

  it('drops jwt_authn when envoy.jwtAuthn.enabled is false but still removes the identity headers', () => {
    const envoy = envoyConfig(helmTemplate({ set: { 'envoy.jwtAuthn.enabled': false } }));
    expectIdentityFilterChain(envoy, DEFAULT_IDENTITY_HEADERS, { jwt: false });
  });

  it('points jwt_authn at a real issuer: remote JWKS through a generated TLS cluster, audiences, claims', () => {
    const envoy = envoyConfig(
      helmTemplate({
        set: {
          'envoy.jwtAuthn.issuer': 'https://login.example.org/realms/ai',
          'envoy.jwtAuthn.audiences': ['llm-api'],
          'envoy.jwtAuthn.remoteJwks.uri': 'https://login.example.org:8443/realms/ai/certs',
          'envoy.jwtAuthn.claims': { userId: 'preferred_username', userGroups: 'team' },
        },
      }),
    );
    const provider = expectJwtAuthn(
      httpFilterConfig(envoy, ENVOY_FILTER.jwtAuthn),
      DEFAULT_IDENTITY_HEADERS,
      {
        userId: 'preferred_username',
        userGroups: 'team',
      },
    );
    expect(provider).toMatchObject({ issuer: 'https://login.example.org/realms/ai', audiences: ['llm-api'] });
    expect(provider.local_jwks).toBeUndefined();
    expect(at(provider, 'remote_jwks', 'http_uri')).toEqual({
      uri: 'https://login.example.org:8443/realms/ai/certs',
      cluster: 'jwks',
      timeout: { seconds: 5 },
    });
    expect(clusterEndpoints(envoy).get('jwks')).toEqual({ address: 'login.example.org', port: 8443 });
    const jwksCluster = envoy.clusters.find((cluster) => cluster.name === 'jwks');
    expect(at(jwksCluster, 'transport_socket', 'typed_config', 'sni')).toBe('login.example.org');
    expectOneClusterPerPool(envoy, policyPoolClusters(defaults));
    expect(
      helmTemplateError({
        set: { 'envoy.jwtAuthn.remoteJwks': { uri: 'https://idp.example.org/keys', cluster: 'l4-pool' } },
      }),
    ).toMatch(/also a pool cluster/);
  });
});

describe('gateway and mesh integrations', () => {
  const gateway = helmTemplate({ valuesFiles: ['examples/envoy-gateway.yaml'] });
  const aiGateway = helmTemplate({ valuesFiles: ['examples/envoy-ai-gateway.yaml'] });
  const istio = helmTemplate({ valuesFiles: ['examples/istio.yaml'] });
  const grpcPort = (rendered: Rendered) =>
    (
      at(rendered.get('Service', 'semantic-router'), 'spec', 'ports') as { name: string; port: number }[]
    ).find((p) => p.name === 'grpc')?.port;

  it('Envoy Gateway: the EnvoyExtensionPolicy sends ext_proc to the router Service with buffered bodies', () => {
    const policy = gateway.get('EnvoyExtensionPolicy');
    const extProc = at(policy, 'spec', 'extProc', 0) as Plain;
    expect(at(extProc, 'backendRefs', 0)).toEqual({
      name: gateway.get('Service', 'semantic-router').metadata.name,
      namespace: 'ai',
      port: grpcPort(gateway),
    });
    expect(extProc).toMatchObject({
      failOpen: false,
      messageTimeout: '5s',
      metadataOptions: { forwardingNamespaces: { untyped: [JWT_PAYLOAD_METADATA.namespace] } },
      processingMode: {
        allowModeOverride: true,
        request: { body: 'Buffered' },
        response: { body: 'Buffered' },
      },
    });
    expect(at(policy, 'spec', 'targetRefs', 0)).toMatchObject({
      kind: 'HTTPRoute',
      name: 'llm-semantic-router',
    });
  });

  it('Envoy Gateway: the HTTPRoute has one x-selected-pool rule per pool, then the default pool', () => {
    const route: K8sObject = gateway.get('HTTPRoute');
    const rules = at(route, 'spec', 'rules') as { matches: Plain[]; backendRefs: Plain[] }[];
    const pools = policyPoolClusters(gateway);
    expect(rules).toHaveLength(pools.length + 1);
    pools.forEach((pool, i) => {
      expect(at(rules[i], 'matches', 0, 'headers', 0)).toEqual({
        type: 'Exact',
        name: 'x-selected-pool',
        value: pool,
      });
    });
    expect(at(rules.at(-1), 'matches', 0)).toEqual({ path: { type: 'PathPrefix', value: '/' } });
    expect(at(rules.at(-1), 'backendRefs', 0)).toEqual({ name: 'vllm-l4', port: 8000 });
  });

  it('Envoy AI Gateway: the EnvoyPatchPolicy inserts header_mutation, then a valid ext_proc, first in the listener', () => {
    const patches = at(aiGateway.get('EnvoyPatchPolicy'), 'spec', 'jsonPatches') as Plain[];
    expect(patches).toHaveLength(2);
    for (const patch of patches) {
      expect(patch).toMatchObject({
        type: 'type.googleapis.com/envoy.config.listener.v3.Listener',
        name: 'ai/ai-gateway/http',
        operation: { op: 'add', path: '/default_filter_chain/filters/0/typed_config/http_filters/0' },
      });
    }
    // Applied in order, both at index 0: header_mutation ends up before ext_proc.
    const extProc = decodeHttpFilter(at(patches[0], 'operation', 'value'));
    expectExtProcContract(extProc);
    expect(at(extProc, 'grpc_service', 'google_grpc', 'target_uri')).toBe(
      `llm-semantic-router.ai.svc.cluster.local:${grpcPort(aiGateway)}`,
    );
    expectHeaderSanitizer(
      decodeHeaderMutation(at(patches[1], 'operation', 'value')),
      DEFAULT_IDENTITY_HEADERS,
    );
  });

  it("Istio: the EnvoyFilter inserts header_mutation first, before Istio's JWT filter and the router", () => {
    const configPatch = at(istio.get('EnvoyFilter'), 'spec', 'configPatches', 0) as Plain;
    expect(configPatch).toMatchObject({
      applyTo: 'HTTP_FILTER',
      match: {
        context: 'GATEWAY',
        listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } },
      },
      patch: { operation: 'INSERT_FIRST' },
    });
    expectHeaderSanitizer(decodeHeaderMutation(at(configPatch, 'patch', 'value')), DEFAULT_IDENTITY_HEADERS);
    const custom = helmTemplate({
      valuesFiles: ['examples/istio.yaml'],
      set: { 'envoy.identity.userGroupsHeader': 'x-caller-teams' },
    });
    const customPatch = at(custom.get('EnvoyFilter'), 'spec', 'configPatches', 0, 'patch', 'value');
    expectHeaderSanitizer(decodeHeaderMutation(customPatch), {
      userId: DEFAULT_IDENTITY_HEADERS.userId,
      userGroups: 'x-caller-teams',
    });
  });

  it("Istio: the EnvoyFilter inserts a valid ext_proc HttpFilter before the router, on the Service's cluster", () => {
    const configPatch = at(istio.get('EnvoyFilter'), 'spec', 'configPatches', 1) as Plain;
    expect(configPatch).toMatchObject({
      applyTo: 'HTTP_FILTER',
      match: {
        context: 'GATEWAY',
        listener: { filterChain: { filter: { subFilter: { name: 'envoy.filters.http.router' } } } },
      },
      patch: { operation: 'INSERT_BEFORE' },
    });
    expect(at(istio.get('EnvoyFilter'), 'spec', 'workloadSelector')).toEqual({
      labels: { istio: 'ingressgateway' },
    });
    const extProc = decodeHttpFilter(at(configPatch, 'patch', 'value'));
    expectExtProcContract(extProc);
    expect(at(extProc, 'grpc_service', 'envoy_grpc', 'cluster_name')).toBe(
      `outbound|${grpcPort(istio)}||llm-semantic-router.ai.svc.cluster.local`,
    );
  });
});
