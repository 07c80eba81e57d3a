// Policy generations: a reload swaps only valid policies; a replaced generation lives until its streams end.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'policy-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PolicyStore', () => {
  it('keeps a replaced generation open until the last stream using it is released', async () => {
    const file = path.join(dir, 'policy.yaml');
    copyFileSync('policies/default.yaml', file);
    const store = await PolicyStore.open(file, silentLogger);
    const first = store.lease();
    const alsoFirst = store.lease();
    expect((await store.reload()).ok).toBe(true);
    expect(store.live.generation).toBe(2);
    expect(store.openGenerations).toBe(2);
    expect(store.lease().router).toBe(store.live.router);
    expect(first.router).not.toBe(store.live.router);
    first.release();
    first.release();
    expect(store.openGenerations).toBe(2);
    alsoFirst.release();
    expect(store.openGenerations).toBe(1);
    store.close();
  });

  it('keeps serving the last good generation when the new file is broken', async () => {
    const file = path.join(dir, 'broken.yaml');
    copyFileSync('policies/default.yaml', file);
    const store = await PolicyStore.open(file, silentLogger);
    const router = store.live.router;
    writeFileSync(file, 'version: v1\npools: []\n');
    const outcome = await store.reload();
    expect(outcome.ok).toBe(false);
    expect(store.live.router).toBe(router);
    expect(store.reloadError?.message).toMatch(/Policy is invalid/);
    store.close();
  });
});
