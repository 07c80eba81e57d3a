// The compiler imports the signal families, plugins and selection algorithms a policy names (top-level routing and
// every recipe) before it checks them, and nothing else: a reload naming new ones loads those. Each test file runs in
// a fresh module graph, so the registries start with nothing loaded.
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/errors.ts';
import { PLUGINS } from '../../../src/plugins/index.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { selectionAlgorithms } from '../../../src/selection/model-selector.ts';
import { signalFamily } from '../../../src/signals/index.ts';

const HEAD = `version: v1
default_model: small
pools: [{ name: p, max_context_tokens: 32K }]
models:
  - { name: small, pools: [p] }
  - { name: big, pools: [p] }
`;

const FIRST = `${HEAD}routing:
  signals:
    keywords:
      - { name: secret, operator: OR, keywords: [password] }
  decisions:
    - name: secrets
      priority: 10
      rules: { operator: OR, conditions: [{ type: keyword, name: secret }] }
      modelRefs: [{ model: small }]
      plugins: [{ type: block, configuration: { message: no } }]
entrypoints:
  - { model_names: [acme/learning], recipe: learning }
recipes:
  - name: learning
    routing:
      signals:
        events:
          - { name: outage, event_types: [incident] }
      decisions:
        - name: learn
          priority: 1
          rules: { operator: OR, conditions: [{ type: event, name: outage }] }
          modelRefs: [{ model: small }, { model: big }]
          algorithm: { type: elo }
`;

const SECOND = `${HEAD}routing:
  decisions:
    - name: chat
      priority: 1
      modelRefs: [{ model: small }]
      plugins: [{ type: system_prompt, configuration: { system_prompt: Be brief. } }]
`;

const isLoaded = (lookup: () => unknown) => {
  try {
    return lookup() !== undefined;
  } catch {
    return false;
  }
};

describe('extensions a policy names', () => {
  it('are loaded at policy load, in the top-level routing and in recipes, and nothing else is', async () => {
    const policy = await compilePolicyText(FIRST, 'first.yaml');
    policy.close();
    expect(signalFamily('keywords')?.conditionType).toBe('keyword');
    expect(signalFamily('events')?.conditionType).toBe('event');
    expect(PLUGINS.get('block')?.name).toBe('block');
    expect(selectionAlgorithms.get('elo')?.name).toBe('elo');
    expect(isLoaded(() => signalFamily('classifiers'))).toBe(false);
    expect(isLoaded(() => PLUGINS.get('memory'))).toBe(false);
    expect(isLoaded(() => selectionAlgorithms.get('router_dc'))).toBe(false);
  });

  it('are loaded by a later load (a reload) that names new ones', async () => {
    expect(isLoaded(() => PLUGINS.get('system_prompt'))).toBe(false);
    const policy = await compilePolicyText(SECOND, 'second.yaml');
    policy.close();
    expect(PLUGINS.get('system_prompt')?.name).toBe('system_prompt');
  });

  it('still report an unknown name with every known one, loaded or not', async () => {
    const error = await compilePolicyText(
      SECOND.replace('system_prompt,', 'system_promt,'),
      'bad.yaml',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    const issue = (error as PolicyError).issues[0];
    expect(issue?.message).toBe("unknown plugin type 'system_promt'");
    expect(issue?.hint).toContain('use one of: block, fast_response, system_prompt');
    expect(issue?.hint).toContain('semantic-cache');
  });
});
