// The "floor" variant of a policy, for `npm run bench`: the same models, pools, API handling and response stage,
// with no signals, projections or decisions, so every request goes to the default model (or the one it names).
// What the router costs per request before any signal runs: the part of its CPU that no signal work can remove.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { writePolicyVariant } from './features-policy.ts';

/** Writes the variant of `policyFile` to a temporary directory and returns its path. */
export function writeFloorPolicy(policyFile: string): string {
  const document = parseDocument(readFileSync(policyFile, 'utf8'));
  if (document.hasIn(['routing', 'signals'])) document.setIn(['routing', 'signals'], {});
  if (document.hasIn(['routing', 'projections'])) document.deleteIn(['routing', 'projections']);
  if (document.hasIn(['routing', 'decisions'])) document.setIn(['routing', 'decisions'], []);
  return writePolicyVariant(policyFile, 'floor', document);
}
