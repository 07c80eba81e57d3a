// Lazy registries: every name is known before anything loads, a definition's module is imported only when asked
// for, and a forgotten load is a loud programming error rather than an "unknown name" policy error.
import { describe, expect, it } from 'vitest';
import { LazyRegistry } from '../../src/lazy-registry.ts';

interface Thing {
  readonly name: string;
}

function counted(names: readonly string[]) {
  const imports: string[] = [];
  const registry = new LazyRegistry<Thing>(
    names.map((name) => ({
      name,
      load: async () => {
        imports.push(name);
        return { name };
      },
    })),
    (thing) => thing.name,
  );
  return { registry, imports };
}

describe('LazyRegistry', () => {
  it('knows every name in registration order before loading any', () => {
    const { registry, imports } = counted(['b', 'a', 'c']);
    expect([...registry.keys()]).toEqual(['b', 'a', 'c']);
    expect(registry.has('a')).toBe(true);
    expect(registry.has('z')).toBe(false);
    expect(imports).toEqual([]);
  });

  it('imports only the names asked for, once each, and ignores unknown names', async () => {
    const { registry, imports } = counted(['a', 'b', 'c']);
    await registry.load(['c', 'nope', 'c']);
    await Promise.all([registry.load(['a']), registry.load(['a', 'c'])]);
    expect(imports.sort()).toEqual(['a', 'c']);
    expect(registry.get('c')).toEqual({ name: 'c' });
    expect(registry.get('nope')).toBeUndefined();
  });

  it('throws for a known name used before it was loaded', () => {
    const { registry } = counted(['a']);
    expect(() => registry.get('a')).toThrow("extension 'a' is used before it was loaded");
  });

  it('has a definition given outright from the start', () => {
    const registry = new LazyRegistry<Thing>([{ name: 'now', definition: { name: 'now' } }], (t) => t.name);
    expect(registry.get('now')).toEqual({ name: 'now' });
  });

  it('loads everything in registration order for tools that list it all', async () => {
    const { registry } = counted(['b', 'a']);
    const all = await registry.loadAll();
    expect([...all.keys()]).toEqual(['b', 'a']);
    expect(all.get('a')).toEqual({ name: 'a' });
  });

  it('refuses a name listed twice and a module whose definition carries another name', async () => {
    const twice = () =>
      new LazyRegistry<Thing>(
        [
          { name: 'x', definition: { name: 'x' } },
          { name: 'x', definition: { name: 'x' } },
        ],
        (t) => t.name,
      );
    expect(twice).toThrow("extension 'x' is registered twice");
    const misnamed = new LazyRegistry<Thing>(
      [{ name: 'x', load: async () => ({ name: 'y' }) }],
      (t) => t.name,
    );
    await expect(misnamed.load(['x'])).rejects.toThrow(
      "registered under another name than its definition's 'y'",
    );
  });

  it('passes on a failed import and tries again on the next load', async () => {
    let attempts = 0;
    const registry = new LazyRegistry<Thing>(
      [
        {
          name: 'flaky',
          load: async () => {
            attempts += 1;
            if (attempts === 1) throw new Error('cannot import');
            return { name: 'flaky' };
          },
        },
      ],
      (t) => t.name,
    );
    await expect(registry.load(['flaky'])).rejects.toThrow('cannot import');
    await registry.load(['flaky']);
    expect(registry.get('flaky')).toEqual({ name: 'flaky' });
  });
});
