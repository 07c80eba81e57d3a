// deploy/docker-compose.yaml (Docker is not available to run it) kept consistent with deploy/envoy.yaml, the
// router's CLI and the Dockerfile: every cluster Envoy targets is a compose service listening where it points.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterEndpoints, decodeBootstrap, ROUTER_CLUSTER } from '../helpers/envoy-bootstrap-checks.ts';
import { repoRoot } from '../helpers/helm.ts';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  entrypoint?: string[];
  command?: string[];
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const COMPOSE_FILE = path.join(repoRoot, 'deploy/docker-compose.yaml');
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const envoyConfig = decodeBootstrap(readFileSync(path.join(repoRoot, 'deploy/envoy.yaml'), 'utf8'));
const endpoints = clusterEndpoints(envoyConfig);

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`no compose service ${name}`);
  return found;
}

/** The value after `flag` in an argument list. */
function flag(args: readonly string[] | undefined, name: string): string | undefined {
  const index = args?.indexOf(name) ?? -1;
  return index < 0 ? undefined : args?.[index + 1];
}

const listenerPort = Number(
  (envoyConfig.listener.address as { socket_address: { port_value: number } }).socket_address.port_value,
);

describe('deploy/docker-compose.yaml matches deploy/envoy.yaml', () => {
  it('runs Envoy with deploy/envoy.yaml itself, in the router service network namespace', () => {
    const envoy = service('envoy');
    const [hostFile, containerFile] = (envoy.volumes?.[0] ?? '').split(':');
    expect(path.resolve(path.dirname(COMPOSE_FILE), hostFile ?? '')).toBe(
      path.join(repoRoot, 'deploy/envoy.yaml'),
    );
    expect(flag(envoy.command, '--config-path')).toBe(containerFile);
    expect(envoy.network_mode).toBe('service:semantic-router');
    // Envoy's listener is published by the service whose network it uses.
    expect(service('semantic-router').ports).toContain(`${listenerPort}:${listenerPort}`);
    for (const [cluster, { address }] of endpoints)
      if (cluster !== ROUTER_CLUSTER)
        expect(envoy.depends_on?.[address]?.condition, cluster).toBe('service_healthy');
  });

  it('has the router listen on the address of the semantic-router cluster', () => {
    const router = service('semantic-router');
    const target = endpoints.get(ROUTER_CLUSTER);
    expect(target?.address).toBe('127.0.0.1'); // reachable because Envoy shares the router's network namespace
    expect(flag(router.command, '--port')).toBe(String(target?.port));
    expect(['0.0.0.0', '127.0.0.1']).toContain(flag(router.command, '--host'));
    const policy = flag(router.command, '--policy') ?? '';
    expect(existsSync(path.join(repoRoot, policy))).toBe(true);
  });

  it('publishes the admin port on the host loopback only, bound where the published port reaches it', () => {
    const router = service('semantic-router');
    const adminPort = flag(router.command, '--admin-port');
    expect(router.ports).toContain(`127.0.0.1:${adminPort}:${adminPort}`);
    expect(router.ports?.filter((p) => p.endsWith(`:${adminPort}`))).toEqual([
      `127.0.0.1:${adminPort}:${adminPort}`,
    ]);
    // Without --admin-host the router binds 127.0.0.1 inside the container, out of reach of a published port.
    expect(flag(router.command, '--admin-host')).toBe('0.0.0.0');
  });

  it('passes only flags `semantic-router serve` knows, the Dockerfile ENTRYPOINT supplying `serve`', () => {
    const usage = readFileSync(path.join(repoRoot, 'src/cli/main.ts'), 'utf8');
    const serveUsage = usage.slice(
      usage.indexOf('semantic-router serve'),
      usage.indexOf('semantic-router validate'),
    );
    const flags = (service('semantic-router').command ?? []).filter((arg) => arg.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    for (const name of flags) expect(serveUsage, name).toContain(`${name} `);
    expect(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8')).toMatch(
      /^ENTRYPOINT \["node", "dist\/bundle\/main\.js", "serve"\]$/m,
    );
    expect(service('semantic-router').build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
  });

  it('runs one stub upstream per pool cluster, under the hostname and port the cluster targets', () => {
    const poolClusters = [...endpoints.keys()].filter((name) => name !== ROUTER_CLUSTER);
    expect(poolClusters.length).toBeGreaterThan(0);
    const stubServices = Object.entries(compose.services).filter(([, s]) =>
      s.entrypoint?.includes('dist/src/stub/main.js'),
    );
    expect(stubServices.map(([name]) => name).sort()).toEqual(
      poolClusters.map((cluster) => String(endpoints.get(cluster)?.address)).sort(),
    );
    for (const cluster of poolClusters) {
      const { address, port } = endpoints.get(cluster) ?? { address: '', port: 0 };
      const stub = service(address);
      expect(flag(stub.command, '--pool'), cluster).toBe(cluster);
      expect(flag(stub.command, '--port'), cluster).toBe(String(port));
      expect(stub.image).toBe(service('semantic-router').image);
      expect(stub.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port}/health`);
    }
    // The compiled entry point comes from src/stub/main.ts (tsconfig.build.json: rootDir ., outDir dist).
    expect(existsSync(path.join(repoRoot, 'src/stub/main.ts'))).toBe(true);
  });
});
