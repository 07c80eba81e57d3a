// A registry whose definitions live in modules imported only when a policy names them: start-up loads what the
// policy uses, not every signal family, plugin and selection algorithm the router knows (~100 modules and their
// zod schemas). Names are known up front, so unknown-name errors and their "use one of" lists stay the same.

/** One name and how to import its definition, or the definition itself when it costs nothing to have. */
export type LazyDefinition<D> =
  | { readonly name: string; load(): Promise<D> }
  | { readonly name: string; readonly definition: D };

export class LazyRegistry<D> {
  readonly #loaders = new Map<string, () => Promise<D>>();
  readonly #loaded = new Map<string, D>();
  readonly #pending = new Map<string, Promise<D>>();

  readonly #nameOf: (definition: D) => string;

  /**
   * Listing the same name twice is a programming error, and so is a module whose definition has another name
   * (`nameOf`) than the one it is registered under: found when it loads.
   */
  constructor(definitions: readonly LazyDefinition<D>[], nameOf: (definition: D) => string) {
    this.#nameOf = nameOf;
    for (const entry of definitions) {
      const { name } = entry;
      if (this.#loaders.has(name)) throw new Error(`extension '${name}' is registered twice`);
      if ('definition' in entry) {
        const { definition } = entry;
        this.#loaders.set(name, async () => definition);
        this.#loaded.set(name, definition);
      } else this.#loaders.set(name, entry.load);
    }
  }

  /** Every registered name, in registration order, loaded or not. */
  keys(): IterableIterator<string> {
    return this.#loaders.keys();
  }

  has(name: string): boolean {
    return this.#loaders.has(name);
  }

  /**
   * The definition of a name `load` has loaded; undefined for an unknown name. A known name that was not loaded
   * first is a programming error (the caller forgot to load what the policy names), not an unknown name.
   */
  get(name: string): D | undefined {
    const definition = this.#loaded.get(name);
    if (definition !== undefined || !this.#loaders.has(name)) return definition;
    throw new Error(`extension '${name}' is used before it was loaded`);
  }

  /** Imports the definitions of the known names among `names` (unknown ones are the compiler's to report). */
  async load(names: Iterable<string>): Promise<void> {
    await Promise.all(
      [...new Set(names)].filter((name) => this.has(name)).map((name) => this.#loadOne(name)),
    );
  }

  /** Every definition, in registration order (tools and tests that list or iterate them all). */
  async loadAll(): Promise<ReadonlyMap<string, D>> {
    await this.load(this.keys());
    return new Map([...this.keys()].map((name) => [name, this.#loaded.get(name) as D]));
  }

  #loadOne(name: string): Promise<D> {
    const loaded = this.#loaded.get(name);
    if (loaded !== undefined) return Promise.resolve(loaded);
    let pending = this.#pending.get(name);
    if (!pending) {
      const load = this.#loaders.get(name) as () => Promise<D>;
      pending = load().then(
        (definition) => {
          const actual = this.#nameOf(definition);
          if (actual !== name)
            throw new Error(
              `extension '${name}' is registered under another name than its definition's '${actual}'`,
            );
          this.#loaded.set(name, definition);
          this.#pending.delete(name);
          return definition;
        },
        (error: unknown) => {
          this.#pending.delete(name);
          throw error;
        },
      );
      this.#pending.set(name, pending);
    }
    return pending;
  }
}
