// Every YAML file of the peer's config directory (../shared/vsr-config) through the code path of `validate`:
// config.yaml and every recipe's config.yaml as policies, every fragment as a fragment. Strict: a file that does
// not load fails with its errors. The only exceptions are listed below, each with its reason.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPolicyIssue, PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { type LoadedPolicy, loadPolicyOrFragment } from '../../../src/policy/load-fragment.ts';

const PEER_CONFIG = path.resolve('../shared/vsr-config');

/**
 * Files that ask for something this router rejects clearly rather than ignores: loaded with allowUnsupported. Each
 * listed feature must be named by a warning, and nothing else may be loaded "without it" (a guardrail skipped
 * because of allowUnsupported fails the test).
 */
const REJECTED_BY_DESIGN: ReadonlyMap<
  string,
  { readonly features: readonly string[]; readonly why: string }
> = new Map([
  [
    'fragments/plugin/rag/milvus.yaml',
    { features: ['rag'], why: 'retrieval from a Milvus collection: the router connects to no vector store' },
  ],
  [
    'fragments/plugin/rag/qdrant.yaml',
    { features: ['rag'], why: 'retrieval from a Qdrant collection: the router connects to no vector store' },
  ],
  [
    'fragments/plugin/image-gen/basic.yaml',
    {
      features: ['image_gen'],
      why: 'image generation by an image model backend: the router only routes requests',
    },
  ],
  [
    'config.yaml',
    {
      features: ['image_gen', 'rag'],
      why: 'its image decisions use image_gen, its RAG decisions rag backends (milvus, vectorstore, external_api, mcp, openai, hybrid) that are external services (reasons above)',
    },
  ],
]);

/** Files of the directory that are not routing configuration at all; `validate` must refuse them clearly. */
const NOT_ROUTING_CONFIG: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  {
    pattern: /^recipes\/.+\/metadata\.yaml$/,
    why: "a recipe's identity card (id, version, authors) for the peer's CLI",
  },
  {
    pattern: /^recipes\/built-in\/[^/]+\/catalog\.yaml$/,
    why: "the peer CLI's catalogue of built-in virtual models",
  },
  { pattern: /^runtime\//, why: 'settings of a storage backend, to inline under global.stores of a config' },
  { pattern: /^schemas\//, why: "test cases of the peer's recipe metadata contract" },
];

function yamlFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => path.relative(PEER_CONFIG, path.join(entry.parentPath, entry.name)))
    .sort();
}

const ALL_FILES = yamlFiles(PEER_CONFIG);
const POLICIES = ALL_FILES.filter((f) => f === 'config.yaml' || /^recipes\/.+\/config\.yaml$/.test(f));
const FRAGMENTS = ALL_FILES.filter((f) => f.startsWith('fragments/'));
const OTHERS = ALL_FILES.filter((f) => NOT_ROUTING_CONFIG.some(({ pattern }) => pattern.test(f)));

type Outcome =
  | { readonly loaded: LoadedPolicy; readonly issues: readonly PolicyIssue[] }
  | { readonly loaded: undefined; readonly issues: readonly PolicyIssue[] };

async function load(relative: string, allowUnsupported = false): Promise<Outcome> {
  try {
    const loaded = await loadPolicyOrFragment(path.join(PEER_CONFIG, relative), { allowUnsupported });
    loaded.policy.close();
    return { loaded, issues: loaded.policy.warnings };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { loaded: undefined, issues: error.issues };
  }
}

/** `line N at path: message` for each error, relative to the peer's directory so the list reads well. */
function errorLines(issues: readonly PolicyIssue[]): string[] {
  return issues
    .filter((issue) => issue.severity === 'error')
    .map((issue) => formatPolicyIssue(issue).split('\n')[0]?.trim().replace(`${PEER_CONFIG}/`, '') ?? '');
}

describe("the peer's config directory", () => {
  it('has every YAML file classified as a policy, a fragment, or a file that is not routing config', () => {
    const classified = new Set([...POLICIES, ...FRAGMENTS, ...OTHERS]);
    expect(ALL_FILES.filter((f) => !classified.has(f))).toEqual([]);
    expect(POLICIES).toContain('config.yaml');
    expect(FRAGMENTS.length).toBeGreaterThan(50);
    for (const file of REJECTED_BY_DESIGN.keys()) expect([...POLICIES, ...FRAGMENTS]).toContain(file);
    for (const { pattern } of NOT_ROUTING_CONFIG) expect(OTHERS.some((f) => pattern.test(f))).toBe(true);
  });

  it.each(POLICIES.filter((f) => !REJECTED_BY_DESIGN.has(f)))('%s loads as a policy', async (file) => {
    const outcome = await load(file);
    expect(errorLines(outcome.issues)).toEqual([]);
    expect(outcome.loaded?.fragment).toBeUndefined();
  });

  it.each(FRAGMENTS.filter((f) => !REJECTED_BY_DESIGN.has(f)))('%s loads as a fragment', async (file) => {
    const outcome = await load(file);
    expect(errorLines(outcome.issues)).toEqual([]);
    expect(outcome.loaded?.fragment).toBeDefined();
  });

  it.each([...REJECTED_BY_DESIGN])(
    '%s loads only without its features, which the warnings name',
    async (file, { features }) => {
      const outcome = await load(file, true);
      expect(errorLines(outcome.issues)).toEqual([]);
      const warnings = outcome.issues.filter((i) => i.severity === 'warning').map((i) => i.message);
      for (const feature of features)
        expect(warnings.some((message) => message.includes(`'${feature}'`))).toBe(true);
      const skipped = warnings.filter((message) => message.includes('--allow-unsupported'));
      expect(skipped.filter((message) => !features.some((f) => message.includes(`'${f}'`)))).toEqual([]);
    },
  );

  it.each(OTHERS)('%s is refused as a policy with a clear error', async (file) => {
    const outcome = await load(file);
    expect(outcome.loaded).toBeUndefined();
    expect(errorLines(outcome.issues).length).toBeGreaterThan(0);
  });

  it.each(OTHERS.filter((f) => /(metadata|catalog)\.yaml$/.test(f)))(
    '%s is named for what it is: a peer document that is not a routing policy',
    async (file) => {
      const outcome = await load(file);
      expect(errorLines(outcome.issues)).toEqual([
        expect.stringMatching(
          /vLLM Semantic Router (recipe-metadata|model-catalog)\/v1 document, not a routing policy/,
        ),
      ]);
    },
  );
});
