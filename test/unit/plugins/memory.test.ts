// memory: what a user said in an earlier request comes back, as a system message, in a later related request of the
// same user, and never in anyone else's.
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRouterDeps, type RouterDeps } from '../../../src/pipeline.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { compilePluginPolicy, peerPlugin, upstreamBody } from '../../helpers/peer-plugin-fragment.ts';
import { pluginIssues } from '../../helpers/plugin-issues.ts';

const opened: Policy[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

async function peerPolicy(): Promise<Policy> {
  const policy = await compilePluginPolicy([peerPlugin('memory/session-memory.yaml')]);
  opened.push(policy);
  return policy;
}

const alice = { userId: 'alice', groups: new Set<string>() };
const bob = { userId: 'bob', groups: new Set<string>() };

function say(content: string, identity: typeof alice | undefined, deps: RouterDeps) {
  return {
    body: { model: 'auto', messages: [{ role: 'user', content }] },
    deps,
    ...(identity !== undefined && { identity }),
  };
}

function systemText(body: Record<string, unknown>): string {
  const messages = body.messages as { role: string; content: string }[];
  return messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n');
}

describe('memory plugin', () => {
  it('loads the peer session-memory fragment without errors or warnings', async () => {
    expect(await pluginIssues([peerPlugin('memory/session-memory.yaml')])).toEqual({
      errors: [],
      warnings: [],
    });
  });

  it('injects a memory stored in turn 1 into a later related request of the same user only', async () => {
    const policy = await peerPolicy();
    const deps = defaultRouterDeps();
    const first = await upstreamBody(policy, say('My favourite programming language is Rust.', alice, deps));
    expect(systemText(first)).toBe('');
    await upstreamBody(policy, say('I am allergic to peanuts.', alice, deps));

    const later = await upstreamBody(policy, say('What is my favourite programming language?', alice, deps));
    expect(systemText(later)).toContain('My favourite programming language is Rust.');
    // Only what is related: the allergy has nothing to do with the question.
    expect(systemText(later)).not.toContain('peanuts');

    const other = await upstreamBody(policy, say('What is my favourite programming language?', bob, deps));
    expect(systemText(other)).toBe('');
  });

  it('neither stores nor recalls anything for an anonymous caller', async () => {
    const policy = await peerPolicy();
    const deps = defaultRouterDeps();
    await upstreamBody(policy, say('My favourite programming language is Rust.', undefined, deps));
    const later = await upstreamBody(
      policy,
      say('What is my favourite programming language?', undefined, deps),
    );
    expect(systemText(later)).toBe('');
  });

  it('keeps at most max_memories_per_user memories, dropping the oldest', async () => {
    const policy = await compilePluginPolicy([
      {
        type: 'memory',
        configuration: { auto_store: true, max_memories_per_user: 1, similarity_threshold: 0.7 },
      },
    ]);
    opened.push(policy);
    const deps = defaultRouterDeps();
    await upstreamBody(policy, say('My favourite programming language is Rust.', alice, deps));
    await upstreamBody(policy, say('My daughter is called Alice and she is seven.', alice, deps));
    const later = await upstreamBody(policy, say('What is my favourite programming language?', alice, deps));
    expect(systemText(later)).toBe('');
  });

  it('rejects an external vector store backend with the reason', async () => {
    const { errors } = await pluginIssues([{ type: 'memory', configuration: { backend: 'milvus' } }]);
    expect(errors[0]?.message).toContain("memory backend 'milvus' needs an external vector store");
  });
});
