// The policy ConfigMap the chart renders is compiled by the router's own policy compiler, and the pools the
// Envoy side routes to are exactly the compiled policy's pools.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicyText, loadPolicyFile } from '../../../src/policy/load-policy.ts';
import { CHART_DIR, helmTemplate, repoRoot } from '../../helpers/helm.ts';

const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);

const CASES = [
  { name: 'default values', valuesFiles: [] },
  { name: 'standalone example', valuesFiles: ['examples/standalone-envoy.yaml'] },
  { name: 'Envoy Gateway example', valuesFiles: ['examples/envoy-gateway.yaml'] },
];

describe('the rendered policy ConfigMap', () => {
  it.each(CASES)(
    '$name: compiles with the router and its pools are the Envoy clusters',
    async ({ valuesFiles }) => {
      const rendered = helmTemplate({ valuesFiles });
      const data = at(rendered.get('ConfigMap', '-policy'), 'data') as Record<string, string>;
      expect(Object.keys(data)).toEqual(['policy.yaml']);
      const policy = await compilePolicyText(data['policy.yaml'] ?? '', 'policy.yaml', {
        builtinModelsDir: path.join(repoRoot, 'models'),
      });
      try {
        expect(policy.models.length).toBeGreaterThan(0);
        const envoyText = rendered.find('ConfigMap', '-envoy');
        const routeTargets = envoyText
          ? [...String(at(envoyText, 'data', 'envoy.yaml')).matchAll(/^ {4}- name: "([^"]+)"$/gm)].map(
              (m) => m[1],
            )
          : (at(rendered.get('HTTPRoute'), 'spec', 'rules') as { matches: unknown[] }[])
              .slice(0, -1)
              .map((rule) => at(rule, 'matches', '0', 'headers', '0', 'value'));
        expect(routeTargets).toEqual(policy.pools.map((pool) => pool.envoyCluster));
      } finally {
        policy.close();
      }
    },
  );

  it('bundles policies/default.yaml verbatim as the default policy', () => {
    const rendered = helmTemplate();
    expect(at(rendered.get('ConfigMap', '-policy'), 'data', 'policy.yaml')).toBe(
      readFileSync(path.join(repoRoot, 'policies/default.yaml'), 'utf8'),
    );
    expect(readFileSync(path.join(CHART_DIR, 'files/default-policy.yaml'), 'utf8')).toBe(
      readFileSync(path.join(repoRoot, 'policies/default.yaml'), 'utf8'),
    );
  });

  it('renders policy.fileName as the key the router reads from the mounted directory', () => {
    const rendered = helmTemplate({ set: { 'policy.fileName': 'routing.yaml' } });
    expect(Object.keys(at(rendered.get('ConfigMap', '-policy'), 'data') as object)).toEqual(['routing.yaml']);
  });

  it('loads as the router reads it in the pod: the ConfigMap volume as a directory (--policy DIR)', async () => {
    const rendered = helmTemplate({ set: { 'policy.fileName': 'routing.yaml' } });
    const data = at(rendered.get('ConfigMap', '-policy'), 'data') as Record<string, string>;
    const args = at(
      rendered.get('Deployment'),
      'spec',
      'template',
      'spec',
      'containers',
      '0',
      'args',
    ) as string[];
    const mount = args[args.indexOf('--policy') + 1] ?? '';
    // The kubelet's layout: files are symlinks into ..data, itself a symlink to a timestamped directory.
    const root = mkdtempSync(path.join(tmpdir(), 'chart-configmap-'));
    try {
      const version = path.join(root, '..2026_11_22_00_00_00.000000001');
      mkdirSync(version);
      for (const [name, text] of Object.entries(data)) writeFileSync(path.join(version, name), text);
      symlinkSync(path.basename(version), path.join(root, '..data'));
      for (const name of Object.keys(data)) symlinkSync(`..data/${name}`, path.join(root, name));
      expect(mount).toMatch(/^\/.+/);
      const policy = await loadPolicyFile(root, { builtinModelsDir: path.join(repoRoot, 'models') });
      try {
        expect(policy.source.files).toEqual([path.join(root, 'routing.yaml')]);
      } finally {
        policy.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
