// routing.projections in a policy: what loads, what is refused with a pointed error, and how requests route through
// `{type: projection}` leaves (checked with explain, as a user would).
import { afterEach, describe, expect, it } from 'vitest';
import { explainRequest } from '../../../src/cli/explain.ts';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const policy of opened.splice(0)) policy.close();
});

const PROJECTIONS = `
  projections:
    scores:
      - name: difficulty
        method: weighted_sum
        inputs:
          - { type: keyword, name: simple_markers, weight: -0.3 }
          - { type: keyword, name: reasoning_markers, weight: 0.35, value_source: confidence }
          - { type: keyword, name: proof_markers, weight: 0.35 }
          - { type: context, name: long_prompt, weight: 0.2 }
    mappings:
      - name: difficulty_band
        source: difficulty
        method: threshold_bands
        calibration: { method: sigmoid_distance, slope: 10 }
        outputs:
          - { name: band_simple, lt: 0.2 }
          - { name: band_medium, gte: 0.2, lt: 0.6 }
          - { name: band_hard, gte: 0.6 }
`;

function policyText(projections = PROJECTIONS, decisions = DECISIONS): string {
  return `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 128K }]
models:
  - { name: small, pools: [p] }
  - { name: medium, pools: [p] }
  - { name: large, pools: [p] }
routing:
  signals:
    keywords:
      - { name: simple_markers, operator: OR, keywords: [quick question, briefly] }
      - { name: reasoning_markers, operator: OR, keywords: [step by step, reason carefully] }
      - { name: proof_markers, operator: OR, keywords: [prove, derivation] }
    context:
      - { name: long_prompt, min_tokens: 2K }
${projections}
  decisions:
${decisions}
`;
}

const DECISIONS = `    - name: hard
      priority: 100
      rules: { type: projection, name: band_hard }
      modelRefs: [{ model: large }]
    - name: medium
      priority: 90
      rules: { operator: OR, conditions: [{ type: projection, name: band_medium }] }
      modelRefs: [{ model: medium }]
    - name: simple
      priority: 80
      rules: { type: projection, name: band_simple }
      modelRefs: [{ model: small }]
`;

async function route(prompt: string, text = policyText()) {
  const policy = await compilePolicyText(text, 'projections.yaml');
  opened.push(policy);
  const body = Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }] }));
  return explainRequest(policy, 'projections.yaml', body, new Map());
}

async function loadErrors(text: string): Promise<string[]> {
  const error = await compilePolicyText(text, 'bad.yaml').then(
    (policy) => {
      policy.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyError);
  return (error as PolicyError).issues
    .filter((i) => i.severity === 'error')
    .map((i) => `${i.path}: ${i.message}`);
}

describe('routing through projection leaves', () => {
  it('routes a plain question to the simple band', async () => {
    const e = await route('quick question: what is the capital of France?');
    expect(e.winner?.name).toBe('simple');
    expect(e.model?.name).toBe('small');
  });

  it('routes a request with reasoning markers to the medium band', async () => {
    const e = await route('Think step by step about why the sky is blue.');
    expect(e.winner?.name).toBe('medium');
  });

  it('routes a proof asked step by step to the hard band, and explain lists the band and its score', async () => {
    const e = await route('Prove, step by step, that the square root of two is irrational.');
    expect(e.winner?.name).toBe('hard');
    const projections = e.signals.find((s) => s.family === 'projections');
    expect(projections?.matches).toEqual([
      expect.objectContaining({ type: 'projection', name: 'band_hard', detail: 'difficulty=0.700' }),
    ]);
    expect(e.winner?.confidence).toBeCloseTo(1 / (1 + Math.exp(-10 * 0.1)));
  });

  it('runs the families a score reads even when no decision names them directly', async () => {
    const e = await route(`${'A long paragraph about gardening and soil. '.repeat(250)} Prove it.`);
    expect(e.signals.map((s) => s.family)).toContain('context');
    expect(e.winner?.name).toBe('medium');
  });
});

describe('loading projections', () => {
  it('loads, without warning that signals read only by scores are unused', async () => {
    const policy = await compilePolicyText(policyText(), 'ok.yaml');
    opened.push(policy);
    expect(policy.warnings.map((w) => w.message).join('\n')).not.toMatch(/defined but no decision uses it/);
  });

  it('refuses a projection leaf no mapping emits, suggesting the nearest output', async () => {
    const errors = await loadErrors(
      policyText(PROJECTIONS, DECISIONS.replace('name: band_hard }', 'name: band_hrad }')),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /routing\.decisions\[0\]\.rules\.name: decision references projection 'band_hrad', which no mapping/,
      ),
    ]);
  });

  it('suggests projection for a misspelt leaf type', async () => {
    const error = await compilePolicyText(
      policyText(
        PROJECTIONS,
        DECISIONS.replace('{ type: projection, name: band_hard }', '{ type: projecton, name: band_hard }'),
      ),
      'typo.yaml',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).issues).toEqual([
      expect.objectContaining({
        message: "unknown condition type 'projecton'",
        hint: "did you mean 'projection'?",
      }),
    ]);
  });

  it('refuses inputs naming undefined signals, a mapping of an unknown score and a misspelt field', async () => {
    const broken = PROJECTIONS.replace('name: proof_markers', 'name: proof_marker')
      .replace('source: difficulty', 'source: dificulty')
      .replace('method: threshold_bands', 'method: threshold_bands\n        outptus: []');
    const errors = await loadErrors(policyText(broken));
    expect(errors.join('\n')).toMatch(/outptus/);
    const semantic = await loadErrors(
      policyText(
        PROJECTIONS.replace('name: proof_markers', 'name: proof_marker').replace(
          'source: difficulty',
          'source: dificulty',
        ),
      ),
    );
    expect(semantic).toEqual([
      expect.stringMatching(
        /scores\[0\]\.inputs\[2\]\.name: score input references keyword signal 'proof_marker'/,
      ),
      expect.stringMatching(/mappings\[0\]\.source: mapping source 'dificulty' is not a score/),
    ]);
  });

  it('refuses partitions over signals that are not domains or embeddings, and a default outside the members', async () => {
    const errors = await loadErrors(
      policyText(`${PROJECTIONS}    partitions:
      - { name: intents, semantics: softmax_exclusive, members: [simple_markers, nowhere], default: other }
`),
    );
    expect(errors).toEqual([
      expect.stringMatching(/partitions\[0\]\.temperature: softmax_exclusive needs a temperature above 0/),
      expect.stringMatching(/members\[0\]: partition member 'simple_markers' is a keyword signal/),
      expect.stringMatching(/members\[1\]: partition member 'nowhere' is not defined/),
      expect.stringMatching(
        /partitions\[0\]\.default: default 'other' is not one of the partition's members/,
      ),
    ]);
  });

  it('refuses a multi_emit mapping with one output, bands that can never match and score cycles', async () => {
    const errors = await loadErrors(
      policyText(`
  projections:
    scores:
      - { name: a, inputs: [{ type: projection, name: b, weight: 1 }] }
      - { name: b, inputs: [{ type: projection, name: a, weight: 1 }] }
    mappings:
      - { name: m, source: a, method: multi_emit, outputs: [{ name: band_hard, gt: 0.5, lt: 0.2 }] }
      - { name: n, source: b, outputs: [{ name: band_medium }, { name: band_simple }] }
`),
    );
    expect(errors).toEqual([
      expect.stringMatching(/scores\[0\]: score 'a' reads itself through projection inputs/),
      expect.stringMatching(/mappings\[0\]\.outputs: multi_emit needs at least two outputs/),
      expect.stringMatching(/mappings\[0\]\.outputs\[0\]: output 'band_hard' can never match/),
    ]);
  });

  it('accepts kb_metric inputs with a load warning while no kb family runs', async () => {
    const policy = await compilePolicyText(
      policyText(
        PROJECTIONS.replace(
          '- { type: context, name: long_prompt, weight: 0.2 }',
          '- { type: context, name: long_prompt, weight: 0.2 }\n          - { type: kb_metric, kb: privacy_kb, metric: private_vs_public, weight: 1, value_source: score }',
        ),
      ),
      'kb.yaml',
    );
    opened.push(policy);
    expect(policy.warnings.map((w) => w.message)).toContain(
      'kb_metric input privacy_kb/private_vs_public always reads 0: this policy runs no kb signal family',
    );
  });
});
