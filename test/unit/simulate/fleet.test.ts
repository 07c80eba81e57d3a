// Fleet files: validated against their schema and against the policy's pools, errors with file, line and path.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../../src/policy/load-policy.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { compileFleet, defaultFleetPaths, loadFleet } from '../../../src/simulate/fleet.ts';

let policy: Policy;
let dir: string;
beforeAll(async () => {
  policy = await loadPolicyFile('test/fixtures/simulate/two-pools.yaml');
  dir = await mkdtemp(path.join(tmpdir(), 'fleet-'));
});
afterAll(() => policy.close());

const POOL =
  'replicas: 1\n    max_concurrency: 2\n    prefill_tokens_per_s: 1000\n    decode_tokens_per_s: 10';

async function fleetText(text: string) {
  const file = path.join(dir, `fleet-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return loadFleet(file, policy).catch((error: unknown) => error as Error);
}

describe('fleet files', () => {
  it('fills defaults, and takes GPU name and price from the policy pool', async () => {
    const fleet = await loadFleet('test/fixtures/simulate/two-pools.fleet.yaml', policy);
    expect(fleet.blockTokens).toBe(512);
    expect(fleet.replicaBalancer).toBe('least_request');
    expect(fleet.pools.get('fast-pool')).toMatchObject({
      gpu: 'nvidia-h100',
      gpusPerReplica: 1,
      maxConcurrency: 4,
      batchSlowdown: 0.02,
      costPerGpuHour: 4,
    });
  });

  it('names the field, its line and the problem', async () => {
    const error = await fleetText(
      `pools:\n  cheap-pool:\n    ${POOL}\n  fast-pool:\n    replicas: 0\n    max_concurrency: 2\n    prefill_tokens_per_s: 1000\n    decode_tokens_per_s: 10\n`,
    );
    expect((error as Error).message).toMatch(/fleet-\w+\.yaml:8: pools\.fast-pool\.replicas: Too small/);
  });

  it('refuses unknown fields, pools the policy lacks and missing policy pools', async () => {
    const typo = await fleetText(
      `pools:\n  cheap-pool:\n    ${POOL}\n    replica: 2\n  fast-pool:\n    ${POOL}\n`,
    );
    expect((typo as Error).message).toMatch(/pools\.cheap-pool: Unrecognized key: "replica"/);
    const extra = await fleetText(
      `pools:\n  cheap-pool:\n    ${POOL}\n  fast-pool:\n    ${POOL}\n  gpu-pool:\n    ${POOL}\n`,
    );
    expect((extra as Error).message).toMatch(/:12: pools\.gpu-pool: the policy has no pool 'gpu-pool'/);
    const missing = await fleetText(`pools:\n  cheap-pool:\n    ${POOL}\n`);
    expect((missing as Error).message).toMatch(/pool 'fast-pool' of the policy is missing/);
  });

  it('reports YAML syntax errors with their line', async () => {
    const error = await fleetText('pools:\n  cheap-pool: [\n');
    expect((error as Error).message).toMatch(/YAML syntax/);
  });

  it('looks for the fleet beside the policy, then under examples/', () => {
    expect(defaultFleetPaths('policies/default.yaml')).toEqual([
      'policies/default.fleet.yaml',
      'examples/default.fleet.yaml',
    ]);
  });

  it('accepts the default policy with its example fleet', async () => {
    const defaultPolicy = await loadPolicyFile('policies/default.yaml');
    try {
      const fleet = await loadFleet('examples/default.fleet.yaml', defaultPolicy);
      expect([...fleet.pools.keys()].sort()).toEqual(defaultPolicy.pools.map((p) => p.name).sort());
    } finally {
      defaultPolicy.close();
    }
  });

  it('compiles a document given as data', () => {
    const fleet = compileFleet(
      {
        replica_balancer: 'prefix_aware',
        pools: {
          'cheap-pool': { replicas: 2, max_concurrency: 1, prefill_tokens_per_s: 1, decode_tokens_per_s: 1 },
          'fast-pool': { replicas: 1, max_concurrency: 1, prefill_tokens_per_s: 1, decode_tokens_per_s: 1 },
        },
      },
      policy,
      'inline',
    );
    expect(fleet.replicaBalancer).toBe('prefix_aware');
    expect(fleet.pools.get('cheap-pool')?.replicas).toBe(2);
  });
});
