// Imports the signal families, plugins and selection algorithms a policy names, before the compiler looks them up:
// their modules load with the first policy that uses them (at start or on a reload), never on a request.
import { PLUGINS } from '../plugins/index.ts';
import { selectionAlgorithms } from '../selection/model-selector.ts';
import { loadSignalFamilies } from '../signals/index.ts';
import type { PolicyDocument, RoutingDocument } from './policy-schema.ts';

/** The routing section and every recipe's: each names its own families, plugins and algorithms. */
function routingSections(doc: PolicyDocument): RoutingDocument[] {
  return [doc.routing, ...doc.recipes.map((recipe) => recipe.routing)];
}

export async function loadNamedExtensions(doc: PolicyDocument): Promise<void> {
  const sections = routingSections(doc);
  const decisions = sections.flatMap((routing) => routing.decisions);
  await Promise.all([
    loadSignalFamilies(sections.flatMap((routing) => Object.keys(routing.signals))),
    PLUGINS.load(decisions.flatMap((decision) => decision.plugins.map((plugin) => plugin.type))),
    selectionAlgorithms.load(decisions.flatMap((decision) => decision.algorithm?.type ?? [])),
  ]);
}
