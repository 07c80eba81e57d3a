// Every signal family the router knows, by YAML key. A family not listed here is a policy error.
// A family's module is imported when a policy names it (loadSignalFamilies, at policy load and reload), so the
// router starts without the families its policy does not use; its keys and condition types are known up front.
import { LazyRegistry } from '../lazy-registry.ts';
import type { SignalFamily, SignalRule } from './signal-family.ts';

/** A family's names, known without importing its module. */
export interface SignalFamilyEntry {
  /** Key under `routing.signals`. */
  readonly family: string;
  /** Value of `type` in a decision condition that refers to the family. */
  readonly conditionType: string;
}

interface LazyFamily extends SignalFamilyEntry {
  load(): Promise<SignalFamily>;
}

function lazyFamily<Rule extends SignalRule>(
  family: string,
  conditionType: string,
  load: () => Promise<SignalFamily<Rule>>,
): LazyFamily {
  return {
    family,
    conditionType,
    async load() {
      const loaded = (await load()) as unknown as SignalFamily;
      if (loaded.conditionType !== conditionType)
        throw new Error(
          `signal family '${family}' is registered with condition type '${conditionType}', its module's is '${loaded.conditionType}'`,
        );
      return loaded;
    },
  };
}

const lazyFamilies: readonly LazyFamily[] = [
  lazyFamily('keywords', 'keyword', async () => (await import('./keywords.ts')).keywordsFamily),
  lazyFamily('context', 'context', async () => (await import('./context-length.ts')).contextFamily),
  lazyFamily('language', 'language', async () => (await import('./language.ts')).languageFamily),
  lazyFamily('structure', 'structure', async () => (await import('./structure.ts')).structureFamily),
  lazyFamily(
    'conversation',
    'conversation',
    async () => (await import('./conversation.ts')).conversationFamily,
  ),
  lazyFamily('role_bindings', 'authz', async () => (await import('./role-bindings.ts')).roleBindingsFamily),
  lazyFamily('metadata', 'metadata', async () => (await import('./metadata.ts')).metadataFamily),
  lazyFamily('pii', 'pii', async () => (await import('./pii.ts')).piiFamily),
  lazyFamily('domains', 'domain', async () => (await import('./domains.ts')).domainsFamily),
  lazyFamily('jailbreak', 'jailbreak', async () => (await import('./jailbreak.ts')).jailbreakFamily),
  lazyFamily('classifiers', 'classifier', async () => (await import('./classifiers.ts')).classifiersFamily),
  lazyFamily('embeddings', 'embedding', async () => (await import('./embeddings.ts')).embeddingsFamily),
  lazyFamily('complexity', 'complexity', async () => (await import('./complexity.ts')).complexityFamily),
  lazyFamily('events', 'event', async () => (await import('./events.ts')).eventsFamily),
  lazyFamily('reasks', 'reask', async () => (await import('./reask.ts')).reaskFamily),
  lazyFamily(
    'user_feedbacks',
    'user_feedback',
    async () => (await import('./user-feedback.ts')).userFeedbackFamily,
  ),
  lazyFamily('fact_check', 'fact_check', async () => (await import('./fact-check.ts')).factCheckFamily),
  lazyFamily('kb', 'kb', async () => (await import('./kb.ts')).kbFamily),
  lazyFamily('preferences', 'preference', async () => (await import('./preferences.ts')).preferencesFamily),
  lazyFamily('modality', 'modality', async () => (await import('./modality.ts')).modalityFamily),
];

const registry = new LazyRegistry<SignalFamily>(
  lazyFamilies.map((f) => ({ name: f.family, load: f.load })),
  (f) => f.family,
);

const entryOf = (f: LazyFamily): SignalFamilyEntry => ({ family: f.family, conditionType: f.conditionType });

export const familiesByKey: ReadonlyMap<string, SignalFamilyEntry> = new Map(
  lazyFamilies.map((f) => [f.family, entryOf(f)]),
);
export const familiesByConditionType: ReadonlyMap<string, SignalFamilyEntry> = new Map(
  lazyFamilies.map((f) => [f.conditionType, entryOf(f)]),
);

/** Imports the families of the known keys among `keys` (`routing.signals` keys of a policy). */
export function loadSignalFamilies(keys: Iterable<string>): Promise<void> {
  return registry.load(keys);
}

/** A family loadSignalFamilies loaded; undefined for an unknown key (throws for a known one not loaded yet). */
export function signalFamily(key: string): SignalFamily | undefined {
  return registry.get(key);
}

/** Every family, in registry order (tools and tests that go through all of them). */
export async function loadAllSignalFamilies(): Promise<readonly SignalFamily[]> {
  return [...(await registry.loadAll()).values()];
}
