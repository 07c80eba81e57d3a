// One registry shape for every extension point (plugins, model-selection algorithms, pool-choice strategies): a
// name, a config schema parsed when the policy loads (so a bad config is a policy error with its file, line and
// path, never a failure on a live request), and a factory.
import type { z } from 'zod';

export interface ExtensionDefinition<Config, Instance, Deps = void> {
  /** What a policy writes (`type:` of a plugin or an algorithm, `strategy:` of pool selection). */
  readonly name: string;
  readonly configSchema: z.ZodType<Config>;
  /** Fields of the peer's config accepted without effect here (field → why), each a load warning. */
  readonly inertFields?: ReadonlyMap<string, string>;
  create(config: Config, deps: Deps): Instance;
}

/** The definitions by name; listing the same name twice is a programming error. */
export function extensionRegistry<D extends { readonly name: string }>(
  definitions: readonly D[],
): ReadonlyMap<string, D> {
  const registry = new Map<string, D>();
  for (const definition of definitions) {
    if (registry.has(definition.name)) throw new Error(`extension '${definition.name}' is registered twice`);
    registry.set(definition.name, definition);
  }
  return registry;
}
