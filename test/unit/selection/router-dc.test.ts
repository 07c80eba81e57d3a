// router_dc: the candidate whose learned vector is most similar to the query's embedding wins; below
// min_similarity the decision's first candidate is used; model files are checked when the policy loads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { ModelCandidate } from '../../../src/selection/model-selector.ts';
import { builtInQueryEmbedder } from '../../../src/selection/router-dc/query-embedder.ts';
import {
  builtInEmbedderSha256,
  ROUTER_DC_FORMAT,
  type RouterDcFile,
} from '../../../src/selection/router-dc/router-dc-model.ts';
import { routerDcSelection } from '../../../src/selection/router-dc/router-dc-selection.ts';
import { selectionContext } from '../../helpers/selection-context.ts';

const BIOLOGY = 'How does photosynthesis convert light energy in the chloroplasts of plant cells?';
const LAW = 'Is the landlord liable for breach of the lease contract under tort law?';

let dir: string;
let modelFile: string;

/** A model file whose two profiles' vectors are the embeddings of a biology and a law question. */
async function writeTopicModel(file: string, sha256: string): Promise<void> {
  const [biology, law] = await (await builtInQueryEmbedder()).embed([BIOLOGY, LAW]);
  const header: RouterDcFile = {
    format: ROUTER_DC_FORMAT,
    algorithm: 'router_dc',
    dataset: 'test',
    embedder: { model: 'embedding', sha256, dim: biology?.length ?? 0 },
    temperature: 0.2,
    params: {},
    profiles: [
      { name: 'bio-expert', prior: 0.5, meanCost: 1, vector: [...(biology ?? [])] },
      { name: 'law-expert', prior: 0.5, meanCost: 1, vector: [...(law ?? [])] },
    ],
  };
  writeFileSync(file, JSON.stringify(header));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'router-dc-'));
  modelFile = path.join(dir, 'topics.json');
  await writeTopicModel(modelFile, builtInEmbedderSha256());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const candidates: ModelCandidate[] = [
  { model: 'generalist', useReasoning: false, weight: 1 },
  { model: 'bio', useReasoning: false, weight: 1 },
  { model: 'law', useReasoning: false, weight: 1 },
];

function selector(settings: Record<string, unknown> = {}) {
  const config = routerDcSelection.configSchema.parse({
    model: modelFile,
    models: { bio: 'bio-expert', law: 'law-expert' },
    ...settings,
  });
  return routerDcSelection.create(config);
}

describe('router_dc selection', () => {
  it('sends each query to the model whose vector is most similar to it', async () => {
    const dc = selector();
    const bio = await dc.select(
      candidates,
      selectionContext({ request: 'Explain how chloroplasts in plant cells capture light' }),
    );
    const law = await dc.select(
      candidates,
      selectionContext({ request: 'Can a tenant sue the landlord for breach of the lease?' }),
    );
    expect(bio.candidate.model).toBe('bio');
    expect(law.candidate.model).toBe('law');
    expect(bio.reason).toMatch(/^router_dc: most similar model/);
  });

  it('scores the candidates with a softmax over similarities and excludes those without a vector', async () => {
    const selection = await selector().select(candidates, selectionContext({ request: BIOLOGY }));
    const [generalist, bio, law] = selection.scores ?? [];
    expect(generalist?.excluded).toBe('no trained vector');
    expect((bio?.score ?? 0) + (law?.score ?? 0)).toBeCloseTo(1, 6);
    expect(bio?.score).toBeGreaterThan(law?.score ?? 1);
    expect(bio?.parts?.similarity).toBeCloseTo(1, 3);
  });

  it('a lower temperature makes the choice more decided', async () => {
    const context = () =>
      selectionContext({ request: 'Which enzymes act in the plant cell during photosynthesis?' });
    const warm = await selector({ temperature: 1 }).select(candidates, context());
    const cold = await selector({ temperature: 0.05 }).select(candidates, context());
    expect(cold.scores?.[1]?.score).toBeGreaterThan(warm.scores?.[1]?.score ?? 1);
  });

  it('uses the first candidate when no vector reaches min_similarity', async () => {
    const selection = await selector({ min_similarity: 0.999 }).select(
      candidates,
      selectionContext({ request: 'Write a haiku about the sea' }),
    );
    expect(selection.candidate.model).toBe('generalist');
    expect(selection.reason).toMatch(/min_similarity 0\.999: first candidate/);
  });

  it('uses the first candidate when no candidate maps to a trained profile', async () => {
    const config = routerDcSelection.configSchema.parse({ model: modelFile });
    const selection = await routerDcSelection
      .create(config)
      .select(candidates, selectionContext({ request: BIOLOGY }));
    expect(selection.candidate.model).toBe('generalist');
    expect(selection.reason).toContain('no candidate has a trained vector');
  });
});

describe('router_dc in a policy', () => {
  function policy(algorithm: string): string {
    return `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: small, pools: [p] }
  - { name: large, pools: [p] }
routing:
  decisions:
    - name: all
      modelRefs: [{ model: small }, { model: large }]
      algorithm: ${algorithm}
`;
  }

  async function loadErrors(text: string): Promise<string> {
    try {
      (await compilePolicyText(text, 'policy.yaml')).close();
      return '';
    } catch (error) {
      if (error instanceof PolicyError) return error.issues.map((i) => `${i.path}: ${i.message}`).join('\n');
      throw error;
    }
  }

  it("loads the peer's full router_dc settings (config.yaml) with the built-in model", async () => {
    const peer =
      '{type: router_dc, router_dc: {temperature: 0.2, dimension_size: 384, min_similarity: 0.7, use_query_contrastive: true, use_model_contrastive: true, require_descriptions: true, use_capabilities: true}}';
    expect(await loadErrors(policy(peer))).toBe('');
  });

  it("loads the peer's router-dc fragment settings with the built-in model", async () => {
    const peer =
      '{type: router_dc, router_dc: {temperature: 0.2, dimension_size: 384, min_similarity: 0.7, use_query_contrastive: true}}';
    expect(await loadErrors(policy(peer))).toBe('');
  });

  it('names an unknown profile and lists the known ones', async () => {
    const errors = await loadErrors(policy('{type: router_dc, router_dc: {models: {large: not-a-model}}}'));
    expect(errors).toContain("'not-a-model' is not a profile");
    expect(errors).toContain('gpt-4o-2024-05-13');
  });

  it('refuses a model file trained against another embedder', async () => {
    const stale = path.join(dir, 'stale.json');
    await writeTopicModel(stale, '0'.repeat(64));
    const errors = await loadErrors(
      policy(`{type: router_dc, router_dc: {model: ${JSON.stringify(stale)}}}`),
    );
    expect(errors).toContain('trained against another embedder');
  });
});
