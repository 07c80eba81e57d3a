// The peer's decision-level fields (adaptations, output_contract, output_contract_spec, emits, candidateIterations,
// annotations) as its own files write them (../shared/vsr-config): each loads, what has no effect here is said
// once per load, and a bad value is an error at its path.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';

const VSR = path.resolve('../shared/vsr-config');
const FIELDS = [
  'adaptations',
  'output_contract',
  'output_contract_spec',
  'emits',
  'candidateIterations',
  'annotations',
] as const;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry) ? [full] : [];
  });
}

interface PeerDecision {
  readonly file: string;
  readonly name: string;
  readonly fields: Record<string, unknown>;
}

/** Every decision of the peer's files (routing and recipe profiles) that sets one of the fields. */
function peerDecisions(): PeerDecision[] {
  const found: PeerDecision[] = [];
  for (const file of yamlFiles(VSR)) {
    const doc = YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    const routings = [
      (doc?.routing as Record<string, unknown> | undefined) ?? {},
      ...((doc?.recipes as { routing?: Record<string, unknown> }[] | undefined) ?? []).map(
        (r) => r.routing ?? {},
      ),
    ];
    for (const routing of routings) {
      for (const decision of (routing.decisions as Record<string, unknown>[] | undefined) ?? []) {
        const fields = Object.fromEntries(FIELDS.filter((f) => f in decision).map((f) => [f, decision[f]]));
        if (Object.keys(fields).length > 0)
          found.push({ file: path.relative(VSR, file), name: String(decision.name), fields });
      }
    }
  }
  return found;
}

function policyWith(decisions: readonly Record<string, unknown>[]): string {
  return YAML.stringify({
    version: 'v1',
    default_model: 'small',
    pools: [{ name: 'p', max_context_tokens: 32768 }],
    models: [{ name: 'small', pools: ['p'] }],
    routing: {
      decisions: decisions.map((fields, i) => ({
        name: `d${i}`,
        priority: i,
        modelRefs: [{ model: 'small' }],
        ...fields,
      })),
    },
  });
}

describe("the peer's decision fields", () => {
  const decisions = peerDecisions();

  it('are used by the reference config and the agent recipe', () => {
    const files = new Set(decisions.map((d) => d.file));
    expect(files).toContain('config.yaml');
    expect(files).toContain(path.join('recipes', 'agent', 'config.yaml'));
    for (const field of FIELDS) expect(decisions.some((d) => field in d.fields)).toBe(true);
  });

  it.each(decisions.map((d) => [`${d.file} ${d.name}`, d.fields] as const))('%s loads', async (_, fields) => {
    const policy = await compilePolicyText(policyWith([fields]), 'peer.yaml');
    policy.close();
  });

  it('keeps the adaptation mode, annotations and output contract on the compiled decision', async () => {
    const policy = await compilePolicyText(
      policyWith([
        { adaptations: { mode: 'bypass' }, annotations: { owner: 'routing-platform' } },
        { adaptations: { adaptation: { mode: 'apply' } }, output_contract: 'Answer in JSON.' },
        {},
      ]),
      'peer.yaml',
    );
    try {
      expect(policy.decisions.map((d) => d.extras)).toEqual([
        { adaptationMode: 'bypass', annotations: { owner: 'routing-platform' } },
        { adaptationMode: 'apply', outputContract: 'Answer in JSON.' },
        { adaptationMode: 'bypass' },
      ]);
    } finally {
      policy.close();
    }
  });

  it('says once per load which fields have no effect here, naming the decisions', async () => {
    const all = decisions.map((d) => d.fields);
    const policy = await compilePolicyText(policyWith(all), 'peer.yaml');
    try {
      const inert = policy.warnings.filter((w) =>
        w.message.startsWith('decision fields accepted without effect'),
      );
      expect(inert).toHaveLength(1);
      for (const field of [
        'adaptations',
        'output_contract',
        'output_contract_spec',
        'emits',
        'candidateIterations',
      ])
        expect(inert[0]?.message).toContain(`${field} (`);
      expect(inert[0]?.message).not.toContain('annotations');
    } finally {
      policy.close();
    }
  });

  it('says nothing for adaptations: bypass, the only mode that means the same here as in the peer', async () => {
    const policy = await compilePolicyText(policyWith([{ adaptations: { mode: 'bypass' } }]), 'peer.yaml');
    expect(policy.warnings).toEqual([]);
    policy.close();
  });

  it('rejects a bad adaptation mode and an emit without a kind, at their paths', async () => {
    const error = await compilePolicyText(
      policyWith([{ adaptations: { mode: 'learn' }, emits: [{ retention: { drop: false } }] }]),
      'peer.yaml',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    const paths = (error as PolicyError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['routing.decisions[0].adaptations.mode', 'routing.decisions[0].emits[0].kind']),
    );
  });
});
