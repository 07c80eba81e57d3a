// Routing profiles: vLLM Semantic Router's `recipes[]` (each its own signals, decisions and strategy) and the
// `entrypoints` whose virtual model names select them. A request naming one of those names is routed by that
// profile alone; `recipe: default` (when no recipe has that name) names the file's top-level routing.
import { closest, IssueCollector, type PathSegment } from './issues.ts';
import type { RoutingProfile, RoutingScope } from './policy.ts';
import type { PolicyDocument, RoutingDocument } from './policy-schema.ts';

/** The recipe name that means the top-level `routing` when no recipe is called so. */
export const TOP_LEVEL_RECIPE = 'default';

/** A routing section whose signals and decisions were checked; `build` loads its signal families. */
export interface PreparedRouting {
  build(): Promise<RoutingScope>;
}

/** Checks and compiles one routing section; its problems go to `issues` at paths under `routing`. */
export type PrepareRouting = (routing: RoutingDocument, issues: IssueCollector) => PreparedRouting;

export interface PreparedProfiles {
  /** Loads every used profile's signal families; closes what it opened when one fails. */
  build(topLevel: RoutingScope): Promise<Map<string, RoutingProfile>>;
}

/** Reports a recipe's problems at `recipes[i].routing…`, where the author wrote them. */
class RecipeIssues extends IssueCollector {
  constructor(
    private readonly parent: IssueCollector,
    private readonly prefix: readonly PathSegment[],
  ) {
    super('', () => undefined);
  }

  override add(
    severity: 'error' | 'warning',
    path: readonly PathSegment[],
    message: string,
    hint?: string,
  ): void {
    // Compilers report the top-level shape (`routing.…`); everything else (pools, identity) is the file's own.
    const located = path[0] === 'routing' ? [...this.prefix, ...path] : path;
    this.parent.add(severity, located, message, hint);
  }

  override get hasErrors(): boolean {
    return this.parent.hasErrors;
  }
}

interface ProfileEntry {
  readonly recipe: string;
  readonly description: string | undefined;
  readonly modelNames: string[];
}

/**
 * Checks `entrypoints` and `recipes` and compiles each recipe's routing: a recipe name must exist, a virtual model
 * name may select one profile only and must not be a model or an auto name (the request would be ambiguous).
 * A recipe no entrypoint names is compiled (so its mistakes are reported) and reported as unreachable.
 */
export function prepareProfiles(input: {
  readonly doc: PolicyDocument;
  /** Names a request may already mean: models, their aliases and provider ids. */
  readonly modelNames: ReadonlySet<string>;
  readonly autoModelNames: ReadonlySet<string>;
  readonly prepare: PrepareRouting;
  readonly issues: IssueCollector;
}): PreparedProfiles {
  const { doc, modelNames, autoModelNames, prepare, issues } = input;
  const recipes = new Map<string, { index: number; prepared: PreparedRouting; description?: string }>();
  doc.recipes.forEach((recipe, index) => {
    if (recipes.has(recipe.name)) {
      issues.error(
        ['recipes', index, 'name'],
        `duplicate recipe name '${recipe.name}'`,
        'give each recipe its own name',
      );
      return;
    }
    const scoped = new RecipeIssues(issues, ['recipes', index]);
    recipes.set(recipe.name, {
      index,
      prepared: prepare(recipe.routing, scoped),
      ...(recipe.description !== undefined && { description: recipe.description }),
    });
  });
  const entries = new Map<string, ProfileEntry>();
  const owner = new Map<string, string>();
  doc.entrypoints.forEach((entrypoint, index) => {
    const path: PathSegment[] = ['entrypoints', index];
    const known = recipes.has(entrypoint.recipe) || entrypoint.recipe === TOP_LEVEL_RECIPE;
    if (!known) {
      const names = [...recipes.keys(), TOP_LEVEL_RECIPE];
      const suggestion = closest(entrypoint.recipe, names);
      issues.error(
        [...path, 'recipe'],
        `entrypoint names recipe '${entrypoint.recipe}', which is not defined under recipes`,
        suggestion && suggestion !== entrypoint.recipe
          ? `did you mean '${suggestion}'?`
          : `use one of: ${names.join(', ')}`,
      );
      return;
    }
    entrypoint.model_names.forEach((name, k) => {
      const at = [...path, 'model_names', k];
      const previous = owner.get(name);
      if (previous !== undefined) {
        issues.error(
          at,
          `virtual model '${name}' already selects recipe '${previous}'`,
          'list each name once',
        );
        return;
      }
      if (modelNames.has(name)) {
        issues.error(
          at,
          `virtual model '${name}' is also a model name`,
          'rename the entrypoint or the model',
        );
        return;
      }
      if (autoModelNames.has(name)) {
        issues.error(
          at,
          `virtual model '${name}' is also an auto model name`,
          'remove it from one of the two',
        );
        return;
      }
      owner.set(name, entrypoint.recipe);
      const entry = entries.get(entrypoint.recipe) ?? {
        recipe: entrypoint.recipe,
        description: entrypoint.description ?? recipes.get(entrypoint.recipe)?.description,
        modelNames: [],
      };
      entry.modelNames.push(name);
      entries.set(entrypoint.recipe, entry);
    });
  });
  for (const [name, recipe] of recipes) {
    if (!entries.has(name)) {
      issues.warning(
        ['recipes', recipe.index, 'name'],
        `recipe '${name}' is not named by any entrypoint: no request can reach it`,
        `add an entrypoint {model_names: [...], recipe: ${name}}`,
      );
    }
  }
  return {
    async build(topLevel) {
      const scopes: RoutingScope[] = [];
      const profiles = new Map<string, RoutingProfile>();
      try {
        for (const entry of entries.values()) {
          const recipe = recipes.get(entry.recipe);
          const scope = recipe ? await recipe.prepared.build() : topLevel;
          if (recipe) scopes.push(scope);
          const profile: RoutingProfile = {
            decisions: scope.decisions,
            enforcedDecisions: scope.enforcedDecisions,
            enforcedFamilies: scope.enforcedFamilies,
            strategy: scope.strategy,
            signals: scope.signals,
            name: entry.recipe,
            description: entry.description,
            modelNames: entry.modelNames,
            topLevel: recipe === undefined,
          };
          for (const modelName of entry.modelNames) profiles.set(modelName, profile);
        }
      } catch (error) {
        for (const scope of scopes) scope.signals.close();
        throw error;
      }
      return profiles;
    },
  };
}

/** Closes the signal engines the profiles own (the top-level one belongs to the policy). */
export function closeProfiles(profiles: ReadonlyMap<string, RoutingProfile>): void {
  const closed = new Set<RoutingScope['signals']>();
  for (const profile of profiles.values()) {
    if (profile.topLevel || closed.has(profile.signals)) continue;
    closed.add(profile.signals);
    profile.signals.close();
  }
}
