// The Helm chart rendered for real (helm lint + helm template with the Helm v4 binary from a devDependency) for the
// default values and every example values file; the objects validated against the Kubernetes schemas.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHART_DIR,
  helmLint,
  helmTemplate,
  helmTemplateError,
  type K8sObject,
  type Rendered,
} from '../../helpers/helm.ts';
import { validateBuiltIn } from './kubernetes-schemas.ts';

const EXAMPLES = readdirSync(path.join(CHART_DIR, 'examples'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => `examples/${file}`);

/** Custom resources the chart may render, with the apiVersion each must use. */
const CUSTOM_KINDS: Readonly<Record<string, string>> = {
  ServiceMonitor: 'monitoring.coreos.com/v1',
  EnvoyExtensionPolicy: 'gateway.envoyproxy.io/v1alpha1',
  EnvoyPatchPolicy: 'gateway.envoyproxy.io/v1alpha1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  EnvoyFilter: 'networking.istio.io/v1alpha3',
};

type Plain = Record<string, unknown>;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);

interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  securityContext?: Plain;
  resources?: Plain;
  readinessProbe?: Plain;
  livenessProbe?: Plain;
  startupProbe?: Plain;
}
interface PodSpec {
  containers: Container[];
  volumes: {
    name: string;
    configMap?: { name: string };
    projected?: { sources: { configMap?: { name: string } }[] };
  }[];
  securityContext: Plain;
  automountServiceAccountToken?: boolean;
  serviceAccountName: string;
}

const podSpec = (rendered: Rendered) => at(rendered.get('Deployment'), 'spec', 'template', 'spec') as PodSpec;
function container(rendered: Rendered, name: string): Container {
  const found = podSpec(rendered).containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}
const kinds = (rendered: Rendered) => rendered.objects.map((o) => o.kind).sort();
const servicePorts = (service: K8sObject) =>
  at(service, 'spec', 'ports') as { name: string; port: number; targetPort: string | number }[];

const renders = new Map<string, Rendered>();
function render(valuesFile?: string): Rendered {
  const key = valuesFile ?? '';
  let rendered = renders.get(key);
  if (!rendered) {
    rendered = helmTemplate(valuesFile ? { valuesFiles: [valuesFile] } : {});
    renders.set(key, rendered);
  }
  return rendered;
}

describe('helm lint and helm template', () => {
  it.each(['(default values)', ...EXAMPLES])('%s: lints strictly and renders only valid objects', (file) => {
    const valuesFile = file.startsWith('(') ? undefined : file;
    const lint = helmLint(valuesFile ? { valuesFiles: [valuesFile] } : {});
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    const rendered = render(valuesFile);
    expect(rendered.objects.length).toBeGreaterThan(3);
    for (const object of rendered.objects) {
      if (validateBuiltIn(object)) continue;
      expect(CUSTOM_KINDS[object.kind], `unexpected kind ${object.kind}`).toBe(object.apiVersion);
      expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(at(object, 'metadata', 'labels', 'app.kubernetes.io/instance')).toBe('llm');
    }
    const names = rendered.objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('validates for real: a misspelt field or a wrong type in a rendered object is rejected', () => {
    const deployment = structuredClone(render().get('Deployment')) as K8sObject;
    const router = (at(deployment, 'spec', 'template', 'spec', 'containers', 0) ?? {}) as Plain;
    router.readOnlyRootFilesytem = true;
    expect(() => validateBuiltIn(deployment)).toThrow(
      /unknown fields .*containers\[0\]\.readOnlyRootFilesytem/,
    );
    delete router.readOnlyRootFilesytem;
    router.ports = [{ name: 'grpc', containerPort: '50051' }];
    expect(() => validateBuiltIn(deployment)).toThrow(/containerPort must be integer/);
  });

  it('renders the standalone example with every optional object', () => {
    expect(kinds(render('examples/standalone-envoy.yaml'))).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    // The HPA owns the replica count.
    expect(
      at(render('examples/standalone-envoy.yaml').get('Deployment'), 'spec', 'replicas'),
    ).toBeUndefined();
  });

  it('keeps HPA, PDB, ServiceMonitor, NetworkPolicy and the integrations off by default', () => {
    expect(kinds(render())).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'Service',
      'Service',
      'ServiceAccount',
    ]);
    expect(at(render().get('Deployment'), 'spec', 'replicas')).toBe(2);
  });

  it('rejects values that break values.schema.json, naming the field', () => {
    expect(helmTemplateError({ set: { replicaCount: 'two' } })).toMatch(/replicaCount/);
    expect(helmTemplateError({ set: { 'envoy.messageTimeout': '5 seconds' } })).toMatch(/messageTimeout/);
    expect(helmTemplateError({ set: { 'router.grpcPort': 70000 } })).toMatch(/grpcPort/);
    expect(helmTemplateError({ set: { 'envoy.upstreams.gpu-pool': { address: 'x' } } })).toMatch(/port/);
    expect(helmTemplateError({ set: { 'router.logLevel': 'loud' } })).toMatch(/logLevel/);
    expect(helmTemplateError({ set: { typo: true } })).toMatch(/typo/);
  });

  it('fails to render when a pool has no upstream or the default pool is unknown', () => {
    expect(helmTemplateError({ set: { 'envoy.upstreams.h100-pool': null } })).toMatch(
      /envoy\.upstreams\.h100-pool is missing/,
    );
    expect(helmTemplateError({ set: { 'envoy.defaultPool': 'a100-pool' } })).toMatch(/a100-pool.*not a pool/);
    expect(helmTemplateError({ set: { 'gateway.extensionPolicy.enabled': true } })).toMatch(/targetRefs/);
  });
});

describe('the router Deployment', () => {
  it('mounts the policy ConfigMap as a directory (no subPath) and passes that directory to --policy', () => {
    const router = container(render(), 'router');
    const mount = router.volumeMounts?.find((m) => m.name === 'policy');
    expect(mount).toEqual({ name: 'policy', mountPath: '/etc/semantic-router/policies', readOnly: true });
    expect(router.volumeMounts?.some((m) => m.subPath !== undefined)).toBe(false);
    expect(router.args?.slice(0, 2)).toEqual(['--policy', '/etc/semantic-router/policies']);
    const volume = podSpec(render()).volumes.find((v) => v.name === 'policy');
    expect(volume?.configMap?.name).toBe(render().get('ConfigMap', '-policy').metadata.name);
    // The pod is not restarted on policy changes (the router reloads it), only on Envoy config changes.
    const annotations = at(
      render().get('Deployment'),
      'spec',
      'template',
      'metadata',
      'annotations',
    ) as Plain;
    expect(Object.keys(annotations)).toEqual(['checksum/envoy-config']);
  });

  it('references an existing policy ConfigMap instead of rendering one', () => {
    const rendered = render('examples/existing-configmap.yaml');
    expect(rendered.find('ConfigMap', '-policy')).toBeUndefined();
    expect(podSpec(rendered).volumes.find((v) => v.name === 'policy')?.configMap?.name).toBe('llm-policy');
  });

  it('projects the chart policy and each team ConfigMap into the one policy directory', () => {
    const rendered = render('examples/team-configmaps.yaml');
    const volume = podSpec(rendered).volumes.find((v) => v.name === 'policy');
    expect(volume?.configMap).toBeUndefined();
    expect(volume?.projected?.sources.map((source) => source.configMap?.name)).toEqual([
      'llm-semantic-router-policy',
      'team-code-policy',
      'team-math-policy',
    ]);
    expect(rendered.find('ConfigMap', '-policy')).toBeDefined();
  });

  it('passes ports and flags the CLI understands and exposes gRPC and admin ports', () => {
    const router = container(render(), 'router');
    expect(router.args).toEqual([
      '--policy',
      '/etc/semantic-router/policies',
      '--host',
      '0.0.0.0',
      '--port',
      '50051',
      '--admin-host',
      '0.0.0.0',
      '--admin-port',
      '9190',
      '--max-body-bytes',
      '8388608',
      '--shutdown-grace-ms',
      '20000',
    ]);
    expect(router.ports).toEqual([
      { name: 'grpc', containerPort: 50051, protocol: 'TCP' },
      { name: 'http-admin', containerPort: 9190, protocol: 'TCP' },
    ]);
    const withFlags = helmTemplate({ set: { 'router.failOpen': true, 'router.grpcPort': 6000 } });
    expect(container(withFlags, 'router').args).toEqual(expect.arrayContaining(['--fail-open', '6000']));
  });

  it('binds the admin server where Prometheus reaches it (the router alone binds loopback), or pod-local', () => {
    // Without --admin-host the router binds 127.0.0.1, which the ServiceMonitor's scrapes of the pod IP miss.
    const flag = (args: string[] | undefined, name: string) => args?.[args.indexOf(name) + 1];
    expect(flag(container(render(), 'router').args, '--admin-host')).toBe('0.0.0.0');
    const scraped = render('examples/standalone-envoy.yaml');
    expect(scraped.find('ServiceMonitor')).toBeDefined();
    expect(flag(container(scraped, 'router').args, '--admin-host')).toBe('0.0.0.0');
    const podLocal = helmTemplate({ set: { 'router.adminHost': '127.0.0.1' } });
    expect(flag(container(podLocal, 'router').args, '--admin-host')).toBe('127.0.0.1');
    expect(helmTemplateError({ set: { 'router.adminHost': '' } })).toMatch(/adminHost/);
  });

  it('probes readiness and liveness with gRPC health on the ext_proc port', () => {
    const router = container(render(), 'router');
    for (const probe of [router.readinessProbe, router.livenessProbe, router.startupProbe])
      expect(at(probe, 'grpc')).toEqual({ port: 50051 });
    expect(at(container(render(), 'envoy').readinessProbe, 'httpGet')).toEqual({
      path: '/healthz',
      port: 'http',
    });
  });

  it('runs every container non-root with a read-only root filesystem, no capabilities and resources', () => {
    for (const file of [undefined, ...EXAMPLES]) {
      const spec = podSpec(render(file));
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext, c.name).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(at(c.resources, 'requests', 'memory'), c.name).toBeTruthy();
        expect(at(c.resources, 'limits', 'memory'), c.name).toBeTruthy();
      }
    }
  });

  it('drops the Envoy sidecar and its ConfigMap when envoy.enabled is false', () => {
    for (const file of [
      'examples/envoy-gateway.yaml',
      'examples/envoy-ai-gateway.yaml',
      'examples/istio.yaml',
    ]) {
      const rendered = render(file);
      expect(podSpec(rendered).containers.map((c) => c.name)).toEqual(['router']);
      expect(rendered.find('ConfigMap', '-envoy')).toBeUndefined();
      expect(servicePorts(rendered.get('Service', 'semantic-router')).map((p) => p.name)).toEqual(['grpc']);
    }
  });
});

describe('Services, monitoring and network policy', () => {
  it('exposes Envoy and gRPC on the main Service and admin/metrics on the admin Service', () => {
    const rendered = render();
    const deploymentLabels = at(
      rendered.get('Deployment'),
      'spec',
      'template',
      'metadata',
      'labels',
    ) as Plain;
    for (const service of [rendered.get('Service', 'semantic-router'), rendered.get('Service', '-admin')])
      expect(deploymentLabels).toMatchObject(at(service, 'spec', 'selector') as Plain);
    expect(servicePorts(rendered.get('Service', 'semantic-router'))).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
    ]);
    expect(servicePorts(rendered.get('Service', '-admin'))).toEqual([
      { name: 'http-admin', port: 9190, targetPort: 'http-admin', protocol: 'TCP' },
    ]);
  });

  it('scrapes /metrics of the admin Service with the ServiceMonitor', () => {
    const rendered = render('examples/standalone-envoy.yaml');
    const monitor = rendered.get('ServiceMonitor');
    const admin = rendered.get('Service', '-admin');
    expect(at(admin, 'metadata', 'labels')).toMatchObject(
      at(monitor, 'spec', 'selector', 'matchLabels') as Plain,
    );
    expect(rendered.get('Service', 'semantic-router').metadata.labels).not.toMatchObject(
      at(monitor, 'spec', 'selector', 'matchLabels') as Plain,
    );
    expect(at(monitor, 'spec', 'endpoints', 0)).toMatchObject({ port: 'http-admin', path: '/metrics' });
    expect(at(monitor, 'metadata', 'labels', 'release')).toBe('kube-prometheus-stack');
    expect(at(monitor, 'spec', 'namespaceSelector', 'matchNames')).toEqual(['ai']);
  });

  it('allows ingress to the named container ports only, from the configured peers', () => {
    const policy = render('examples/standalone-envoy.yaml').get('NetworkPolicy');
    const rules = at(policy, 'spec', 'ingress') as { ports: { port: string }[]; from?: unknown[] }[];
    expect(rules.map((r) => r.ports[0]?.port)).toEqual(['grpc', 'http-admin', 'http']);
    expect(rules[1]?.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    expect(rules[0]?.from).toBeUndefined();
  });

  it('scales on CPU with the HPA and keeps pods available with the PDB', () => {
    const rendered = render('examples/standalone-envoy.yaml');
    const deployment = rendered.get('Deployment');
    expect(at(rendered.get('HorizontalPodAutoscaler'), 'spec', 'scaleTargetRef')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(at(rendered.get('HorizontalPodAutoscaler'), 'spec', 'minReplicas')).toBe(3);
    expect(at(rendered.get('PodDisruptionBudget'), 'spec')).toMatchObject({
      minAvailable: 2,
      selector: { matchLabels: at(deployment, 'spec', 'selector', 'matchLabels') },
    });
  });
});

describe('NOTES.txt', () => {
  it('tells the user how to send a first request', () => {
    const notes = render().notes;
    expect(notes).toContain('kubectl -n ai port-forward svc/llm-semantic-router 8080:80');
    expect(notes).toMatch(/curl -s http:\/\/localhost:8080\/v1\/chat\/completions/);
    expect(notes).toContain('"model":"auto"');
    expect(notes).toContain('pools: l4-pool, h100-pool, longctx-pool, onprem-pool; default: l4-pool');
    const gatewayNotes = render('examples/envoy-gateway.yaml').notes;
    expect(gatewayNotes).toContain('llm-semantic-router.ai.svc.cluster.local:50051');
    expect(gatewayNotes).toContain('EnvoyExtensionPolicy');
    expect(gatewayNotes).toMatch(/curl -s http:\/\/<gateway address>\/v1\/chat\/completions/);
  });
});
