// The peer's own projections (every `projections` block in ../shared/vsr-config: the reference config and the
// recipes) parse and check clean against the signals declared beside them, and the recipes' README intents come
// out of their projections as the peer's would.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { compileProjections } from '../../../src/decisions/compile-projections.ts';
import { projectionsSchema } from '../../../src/decisions/projection-schema.ts';
import { applyProjections, type CompiledProjections } from '../../../src/decisions/projections.ts';
import { IssueCollector } from '../../../src/policy/issues.ts';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';

const ROOT = path.resolve('../shared/vsr-config');

/** The peer's signal families and the condition type decisions and scores use for each. */
const PEER_CONDITION_TYPES: Readonly<Record<string, string>> = {
  keywords: 'keyword',
  embeddings: 'embedding',
  domains: 'domain',
  fact_check: 'fact_check',
  user_feedbacks: 'user_feedback',
  reasks: 'reask',
  preferences: 'preference',
  language: 'language',
  context: 'context',
  structure: 'structure',
  complexity: 'complexity',
  modality: 'modality',
  role_bindings: 'authz',
  jailbreak: 'jailbreak',
  pii: 'pii',
  kb: 'kb',
  conversation: 'conversation',
  events: 'event',
  metadata: 'metadata',
  classifiers: 'classifier',
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return yamlFiles(full);
    return full.endsWith('.yaml') ? [full] : [];
  });
}

interface RoutingBlock {
  readonly where: string;
  readonly signals: Record<string, { name: string; role?: string }[]>;
  readonly projections: unknown;
  readonly decisions: unknown;
}

/** Every routing object holding `projections`, with the signals declared beside it. */
function routingBlocks(file: string): RoutingBlock[] {
  const found: RoutingBlock[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        walk(child, `${where}[${i}]`);
      });
    } else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.projections !== undefined && record.signals !== undefined)
        found.push({
          where,
          signals: record.signals as RoutingBlock['signals'],
          projections: record.projections,
          decisions: record.decisions,
        });
      for (const [key, child] of Object.entries(record)) walk(child, `${where}.${key}`);
    }
  };
  walk(YAML.parse(readFileSync(file, 'utf8')), path.relative(ROOT, file));
  return found;
}

function signalNames(signals: RoutingBlock['signals']): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  for (const [family, rules] of Object.entries(signals)) {
    const type = PEER_CONDITION_TYPES[family] ?? family;
    const set = new Set<string>();
    for (const rule of rules ?? []) {
      if (family === 'complexity')
        for (const level of ['easy', 'medium', 'hard']) set.add(`${rule.name}:${level}`);
      else if (family === 'role_bindings' && rule.role) set.add(rule.role);
      else set.add(rule.name);
    }
    names.set(type, set);
  }
  return names;
}

function compileBlock(block: RoutingBlock) {
  const issues = new IssueCollector(block.where, () => undefined);
  const parsed = projectionsSchema.safeParse(block.projections);
  if (!parsed.success) issues.fromZod(parsed.error, ['routing', 'projections']);
  const compiled = compileProjections(
    parsed.success ? parsed.data : undefined,
    { names: signalNames(block.signals), knownTypes: new Set(Object.values(PEER_CONDITION_TYPES)) },
    issues,
  );
  return { compiled, issues: issues.issues };
}

const blocks = yamlFiles(ROOT).flatMap(routingBlocks);

/** Names of the `{type: projection}` leaves of a block's decisions. */
function projectionLeaves(node: unknown, into: string[] = []): string[] {
  if (Array.isArray(node)) for (const child of node) projectionLeaves(child, into);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.type === 'projection' && typeof record.name === 'string') into.push(record.name);
    for (const child of Object.values(record)) projectionLeaves(child, into);
  }
  return into;
}

describe('the peer projections', () => {
  it('are there to read (reference config and recipes)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks.map((b) => b.where)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config\.yaml/),
        expect.stringMatching(/^recipes\/balance\//),
        expect.stringMatching(/^recipes\/privacy\//),
        expect.stringMatching(/^recipes\/multi-objective\//),
        expect.stringMatching(/^recipes\/built-in\/latest\/mom-v1\//),
      ]),
    );
  });

  it.each(blocks.map((b) => [b.where, b] as const))('%s checks clean', (_where, block) => {
    const { issues } = compileBlock(block);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    // The only warning: kb_metric inputs read 0 while the kb family is not run.
    for (const warning of issues.filter((i) => i.severity === 'warning'))
      expect(warning.message).toMatch(/^kb_metric input .* always reads 0/);
  });

  it.each(blocks.map((b) => [b.where, b] as const))(
    '%s: every projection leaf names an output',
    (_where, block) => {
      const { outputNames } = compileBlock(block).compiled;
      const leaves = projectionLeaves(block.decisions);
      expect(leaves.filter((name) => !outputNames.has(name))).toEqual([]);
    },
  );
});

function recipeProjections(recipe: string, profile = 0): CompiledProjections {
  const block = routingBlocks(path.join(ROOT, 'recipes', recipe, 'config.yaml'))[profile] as RoutingBlock;
  return compileBlock(block).compiled.projections;
}

/** Projection outputs emitted for a request whose signals matched as given. */
function outputs(projections: CompiledProjections, matched: Record<string, number>): string[] {
  const matches = new Map<string, SignalMatch>(
    Object.entries(matched).map(([key, confidence]) => [
      key,
      { name: key.slice(key.indexOf(':') + 1), confidence },
    ]),
  );
  return [...applyProjections(projections, matches).matches.keys()]
    .filter((key) => key.startsWith('projection:'))
    .map((key) => key.slice('projection:'.length));
}

describe('balance recipe intents (README: routing behavior)', () => {
  const balance = recipeProjections('balance');

  it('a short factual question is in the simple band', () => {
    expect(
      outputs(balance, {
        'keyword:simple_request_markers': 1,
        'embedding:fast_qa_en': 0.9,
        'context:short_context': 1,
      }),
    ).toContain('balance_simple');
  });

  it('medium explanation work is in the medium band', () => {
    expect(
      outputs(balance, {
        'keyword:reasoning_request_markers': 1,
        'embedding:history_explainer': 0.8,
        'context:medium_context': 1,
      }),
    ).toContain('balance_medium');
  });

  it('deep multi-step reasoning is in the reasoning band', () => {
    expect(
      outputs(balance, {
        'keyword:reasoning_request_markers': 1,
        'keyword:multi_step_markers': 1,
        'embedding:reasoning_general_en': 0.9,
        'complexity:general_reasoning:hard': 1,
        'complexity:math_task:hard': 1,
        'structure:ordered_workflow': 1,
      }),
    ).toContain('balance_reasoning');
  });

  it('a verification request on a legal question asks for verification; a plain one does not', () => {
    expect(
      outputs(balance, {
        'keyword:verification_markers': 1,
        'keyword:reference_heavy_markers': 1,
        'domain:law': 0.8,
      }),
    ).toContain('verification_required');
    expect(outputs(balance, { 'domain:law': 0.8 })).toContain('verification_standard');
  });

  it('the domain partition keeps one domain: the most confident', () => {
    const matches = new Map<string, SignalMatch>([
      ['domain:law', { name: 'law', confidence: 0.7 }],
      ['domain:business', { name: 'business', confidence: 0.6 }],
    ]);
    const result = applyProjections(balance, matches).matches;
    expect(result.has('domain:business')).toBe(false);
    expect(result.get('domain:law')?.confidence).toBeCloseTo(1 / (1 + Math.exp(-1)));
  });
});

describe('privacy recipe intents (README: keep sensitive and suspicious requests local)', () => {
  const privacy = recipeProjections('privacy');

  it('a jailbreak attempt is security local-only; an ordinary request is standard', () => {
    expect(outputs(privacy, { 'jailbreak:jailbreak_strict': 1 })).toContain('policy_security_local_only');
    expect(outputs(privacy, {})).toEqual(
      expect.arrayContaining([
        'policy_security_standard',
        'policy_privacy_cloud_allowed',
        'policy_local_reasoning',
      ]),
    );
  });

  it('PII or private code keeps the request local', () => {
    expect(outputs(privacy, { 'pii:pii_strict': 1 })).toContain('policy_privacy_local_only');
    expect(outputs(privacy, { 'keyword:private_code_markers': 1 })).toContain('policy_privacy_local_only');
  });

  it('a frontier reasoning request without private data may use the frontier lane', () => {
    expect(
      outputs(privacy, {
        'keyword:reasoning_request_markers': 1,
        'keyword:architecture_markers': 1,
        'embedding:frontier_reasoning_request': 0.85,
      }),
    ).toEqual(expect.arrayContaining(['policy_frontier_reasoning', 'policy_privacy_cloud_allowed']));
  });
});

describe('multi-objective recipe intents (README: one profile per objective)', () => {
  it('balanced: a reasoning request is deliberate, a simple one standard, and "no need to reason" cancels it', () => {
    const balanced = recipeProjections('multi-objective', 0);
    expect(outputs(balanced, { 'keyword:unified_balance_reasoning_markers': 1 })).toEqual([
      'unified_balance_deliberate',
    ]);
    expect(outputs(balanced, { 'keyword:unified_balance_simple_markers': 1 })).toEqual([
      'unified_balance_standard',
    ]);
    expect(
      outputs(balanced, {
        'keyword:unified_balance_reasoning_markers': 1,
        'keyword:unified_balance_negated_reasoning': 1,
      }),
    ).toEqual(['unified_balance_standard']);
  });

  it('speed: heavy work leaves the interactive lane; cost: reasoning markers enable bounded reasoning', () => {
    expect(outputs(recipeProjections('multi-objective', 1), {})).toEqual(['unified_speed_interactive']);
    expect(
      outputs(recipeProjections('multi-objective', 1), { 'keyword:unified_speed_heavy_markers': 1 }),
    ).toEqual(['unified_speed_heavy']);
    expect(
      outputs(recipeProjections('multi-objective', 2), { 'keyword:unified_cost_reasoning_markers': 1 }),
    ).toEqual(['unified_cost_reasoning']);
  });

  it('accuracy: ordinary work stays direct; an explicit workflow request uses the workflow lane', () => {
    const accuracy = recipeProjections('multi-objective', 3);
    expect(outputs(accuracy, {})).toEqual([
      'unified_frontier_not_workflow',
      'unified_frontier_not_fusion',
      'unified_frontier_direct',
    ]);
    expect(
      outputs(accuracy, {
        'keyword:unified_frontier_workflow_markers': 1,
        'embedding:unified_frontier_workflow_intent': 0.8,
      }),
    ).toContain('unified_frontier_use_workflow');
  });

  it('privacy: a jailbreak or PII is sensitive', () => {
    const privacy = recipeProjections('multi-objective', 4);
    expect(outputs(privacy, { 'jailbreak:unified_privacy_jailbreak_strict': 1 })).toEqual([
      'unified_privacy_sensitive',
    ]);
    expect(outputs(privacy, { 'pii:unified_privacy_pii_strict': 1 })).toEqual(['unified_privacy_sensitive']);
    expect(outputs(privacy, {})).toEqual(['unified_privacy_standard']);
  });
});
