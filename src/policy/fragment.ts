// The peer's per-feature fragments (a `routing.signals.<family>` list, a `routing.decisions` list, a `plugin:`, a
// `plugins:` list or an `algorithm:`, sometimes `global:`) are partial policies. This module recognises one and
// completes it into a policy the compiler checks: alone, inside a minimal base (docs/policy-fragments.md), or as
// the part merged into a real policy (`validate --base`).

import { signalFamily } from '../signals/index.ts';
import { referenceNames } from '../signals/signal-family.ts';
import { baseSignalsFor, FRAGMENT_BASE_SIGNALS, type SignalReference } from './fragment-base.ts';
import type { PathSegment } from './issues.ts';

type Plain = Record<string, unknown>;

/** Top-level keys a fragment may have; a policy has `version`, `models` or `providers` besides. */
const FRAGMENT_KEYS: ReadonlySet<string> = new Set(['routing', 'plugin', 'plugins', 'algorithm', 'global']);

/** Models the standalone base adds when a fragment names fewer than two (selection needs candidates). */
export const PLACEHOLDER_MODELS = ['fragment-model-a', 'fragment-model-b'] as const;

/** Decision that carries a plugin or algorithm fragment: no rules, so it matches every request. */
export const CARRIER_DECISION = 'fragment_catch_all';
/** Decision that references every signal of a signal fragment, so the references are checked and used. */
export const SIGNALS_DECISION = 'fragment_uses_signals';

export interface FragmentSummary {
  /** Rules per signal family key, as the fragment writes them. */
  readonly signals: ReadonlyMap<string, number>;
  readonly decisions: number;
  /** Plugin types, in order. */
  readonly plugins: readonly string[];
  readonly algorithm: string | undefined;
  readonly hasGlobal: boolean;
  /** Signals the standalone base declared for the fragment's decisions (empty with a real base). */
  readonly baseSignals: readonly (SignalReference & { readonly builtIn: boolean })[];
}

export interface CompletedFragment {
  /** A whole v0.3 policy (standalone), or the part to merge into the base policy. */
  readonly document: Plain;
  /** Where a path of `document` is written in the fragment; undefined for what the base added. */
  readonly fragmentPath: (path: readonly PathSegment[]) => PathSegment[] | undefined;
  readonly summary: FragmentSummary;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listAt(object: unknown, key: string): unknown[] {
  const value = isPlain(object) ? object[key] : undefined;
  return Array.isArray(value) ? value : [];
}

/** True for a document with only fragment keys and at least one of signals, decisions, plugins or algorithm. */
export function isPolicyFragment(raw: unknown): raw is Plain {
  if (!isPlain(raw)) return false;
  if (!Object.keys(raw).every((key) => FRAGMENT_KEYS.has(key))) return false;
  const routing = raw.routing;
  const hasRouting = isPlain(routing) && (isPlain(routing.signals) || Array.isArray(routing.decisions));
  return hasRouting || 'plugin' in raw || 'plugins' in raw || 'algorithm' in raw;
}

interface FragmentParts {
  readonly signals: Plain;
  readonly decisions: unknown[];
  readonly plugins: unknown[];
  /** True when the fragment writes a single `plugin:`, whose path has no index. */
  readonly singlePlugin: boolean;
  readonly algorithm: unknown;
  readonly otherRouting: Plain;
}

function partsOf(fragment: Plain): FragmentParts {
  const routing = isPlain(fragment.routing) ? fragment.routing : {};
  const { signals, decisions, ...otherRouting } = routing;
  const singlePlugin = 'plugin' in fragment;
  return {
    signals: isPlain(signals) ? signals : {},
    decisions: Array.isArray(decisions) ? decisions : [],
    plugins: singlePlugin ? [fragment.plugin] : listAt(fragment, 'plugins'),
    singlePlugin,
    algorithm: fragment.algorithm,
    otherRouting,
  };
}

/** Model names an algorithm's settings mention (`model`, `models`, `analysis_models`, nested at any depth). */
function modelsMentionedBy(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const item of value) modelsMentionedBy(item, out);
  if (!isPlain(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'model' && typeof child === 'string' && child) out.add(child);
    else if ((key === 'models' || key === 'analysis_models') && Array.isArray(child)) {
      for (const name of child) if (typeof name === 'string' && name) out.add(name);
    } else modelsMentionedBy(child, out);
  }
  return out;
}

function decisionModels(decisions: readonly unknown[]): string[] {
  const names = decisions.flatMap((d) =>
    listAt(d, 'modelRefs').map((ref) => (isPlain(ref) ? ref.model : '')),
  );
  return names.filter((name): name is string => typeof name === 'string' && name !== '');
}

/** The `{type, name}` leaves of a rule tree. */
function leavesOf(node: unknown, out: SignalReference[] = []): SignalReference[] {
  if (!isPlain(node)) return out;
  if (typeof node.type === 'string' && typeof node.name === 'string')
    out.push({ type: node.type, name: node.name });
  for (const child of listAt(node, 'conditions')) leavesOf(child, out);
  return out;
}

/**
 * Leaves naming every rule of the fragment's signal families that parses (the names decisions would use, e.g. a
 * complexity rule's levels). Unknown families and broken rules are left out: the compiler reports them once.
 */
function signalLeaves(signals: Plain): SignalReference[] {
  const leaves: SignalReference[] = [];
  for (const [key, rules] of Object.entries(signals)) {
    const family = signalFamily(key);
    if (!family || !Array.isArray(rules)) continue;
    for (const raw of rules) {
      const { on_error: _onError, ...rule } = isPlain(raw) ? raw : {};
      const parsed = family.ruleSchema.safeParse(rule);
      if (!parsed.success) continue;
      for (const name of referenceNames(family, [parsed.data]))
        leaves.push({ type: family.conditionType, name });
    }
  }
  return leaves;
}

function summarise(
  parts: FragmentParts,
  fragment: Plain,
  baseSignals: FragmentSummary['baseSignals'],
): FragmentSummary {
  const signals = new Map<string, number>();
  for (const [family, rules] of Object.entries(parts.signals))
    signals.set(family, Array.isArray(rules) ? rules.length : 0);
  const algorithm =
    isPlain(parts.algorithm) && typeof parts.algorithm.type === 'string' ? parts.algorithm.type : undefined;
  return {
    signals,
    decisions: parts.decisions.length,
    plugins: parts.plugins.map((p) => (isPlain(p) && typeof p.type === 'string' ? p.type : '?')),
    algorithm,
    hasGlobal: 'global' in fragment,
    baseSignals,
  };
}

function carrierDecision(parts: FragmentParts, models: readonly string[], tier: number): Plain {
  return {
    name: CARRIER_DECISION,
    description: 'Carries the fragment’s plugins and algorithm; no rules, so it matches every request.',
    priority: 0,
    // In the last tier a catch-all ranks after every real match, so it never hides the base's decisions.
    ...(tier > 0 && { tier }),
    modelRefs: models.map((model) => ({ model })),
    ...(parts.algorithm !== undefined && { algorithm: parts.algorithm }),
    ...(parts.plugins.length > 0 && { plugins: parts.plugins }),
  };
}

function signalsDecision(leaves: readonly SignalReference[], model: string): Plain {
  return {
    name: SIGNALS_DECISION,
    description: 'References every signal of the fragment.',
    priority: 0,
    rules: { operator: 'OR', conditions: leaves.map(({ type, name }) => ({ type, name })) },
    modelRefs: [{ model }],
  };
}

/** Signals of the fragment, plus the base's rules for references the fragment does not declare itself. */
function withBaseSignals(parts: FragmentParts, references: readonly SignalReference[]) {
  const declared = new Set(signalLeaves(parts.signals).map((l) => `${l.type}:${l.name}`));
  const missing = references.filter((r) => !declared.has(`${r.type}:${r.name}`));
  const added = baseSignalsFor(missing);
  const signals: Plain = { ...parts.signals };
  for (const [family, rules] of Object.entries(added))
    signals[family] = [...listAt(parts.signals, family), ...rules];
  const baseSignals = missing
    .filter((r) => FRAGMENT_BASE_SIGNALS.has(r.type))
    .map((r) => ({ ...r, builtIn: FRAGMENT_BASE_SIGNALS.get(r.type)?.builtIn ?? false }));
  return { signals, baseSignals };
}

/** Maps the completed document's paths back to the fragment's, given where its decisions came from. */
function pathMapper(parts: FragmentParts, carrierIndex: number | undefined, fragment: Plain) {
  return (path: readonly PathSegment[]): PathSegment[] | undefined => {
    const [first, second, index, field, ...rest] = path;
    if (first === 'global') return 'global' in fragment ? [...path] : undefined;
    if (first !== 'routing') return undefined;
    if (second === 'signals') {
      const family = path[2];
      if (path.length < 4)
        return typeof family === 'string' && family in parts.signals ? [...path] : undefined;
      return typeof index === 'string' &&
        typeof field === 'number' &&
        field < listAt(parts.signals, index).length
        ? [...path]
        : undefined;
    }
    if (second !== 'decisions')
      return second !== undefined && second in parts.otherRouting ? [...path] : undefined;
    if (typeof index !== 'number') return undefined;
    if (index < parts.decisions.length) return [...path];
    if (index !== carrierIndex) return undefined;
    if (field === 'algorithm') return ['algorithm', ...rest];
    if (field !== 'plugins') return undefined;
    const [pluginIndex, ...inPlugin] = rest;
    if (parts.singlePlugin) return ['plugin', ...inPlugin];
    return pluginIndex === undefined ? ['plugins'] : ['plugins', pluginIndex, ...inPlugin];
  };
}

function uniquePadded(names: Iterable<string>, padding: readonly string[], atLeast: number): string[] {
  const out = [...new Set(names)];
  for (const name of padding) if (out.length < atLeast && !out.includes(name)) out.push(name);
  return out;
}

/** The fragment's routing with the generated decisions appended (carrier last). */
function completedRouting(
  parts: FragmentParts,
  signals: Plain,
  carrierModels: readonly string[],
  signalModel: string,
  carrierTier = 0,
) {
  const decisions: unknown[] = [...parts.decisions];
  const leaves = signalLeaves(parts.signals);
  if (parts.decisions.length === 0 && leaves.length > 0) decisions.push(signalsDecision(leaves, signalModel));
  let carrierIndex: number | undefined;
  if (parts.plugins.length > 0 || parts.algorithm !== undefined) {
    carrierIndex = decisions.length;
    decisions.push(carrierDecision(parts, carrierModels, carrierTier));
  }
  return { routing: { ...parts.otherRouting, signals, decisions }, carrierIndex };
}

/**
 * A fragment inside the minimal base: the models it names (or two placeholders) on one pool each, its signals,
 * base rules for the signals its decisions reference, and a catch-all decision carrying its plugins and algorithm.
 * A v0.3 document, the peer's own format, so a `global:` section stays where the fragment wrote it.
 */
export function standaloneFragmentPolicy(fragment: Plain): CompletedFragment {
  const parts = partsOf(fragment);
  const references = parts.decisions.flatMap((d) => leavesOf(isPlain(d) ? d.rules : undefined));
  const { signals, baseSignals } = withBaseSignals(parts, references);
  const carrierModels = uniquePadded(modelsMentionedBy(parts.algorithm), PLACEHOLDER_MODELS, 2);
  const needsCarrier = parts.plugins.length > 0 || parts.algorithm !== undefined;
  const models = uniquePadded(
    [...decisionModels(parts.decisions), ...(needsCarrier ? carrierModels : [])],
    PLACEHOLDER_MODELS,
    1,
  );
  const { routing, carrierIndex } = completedRouting(parts, signals, carrierModels, models[0] as string);
  const document: Plain = {
    version: 'v0.3',
    providers: {
      defaults: { default_model: models[0] },
      models: models.map((name) => ({ name, backend_refs: [{ name: 'fragment' }] })),
    },
    routing,
    ...('global' in fragment && { global: fragment.global }),
  };
  return {
    document,
    fragmentPath: pathMapper(parts, carrierIndex, fragment),
    summary: summarise(parts, fragment, baseSignals),
  };
}

/** Model names a policy document defines (v1 `models`, v0.3 `providers.models`). */
export function modelNamesOf(policy: unknown): string[] {
  const models = isPlain(policy) ? [...listAt(policy, 'models'), ...listAt(policy.providers, 'models')] : [];
  return models.flatMap((m) => (isPlain(m) && typeof m.name === 'string' ? [m.name] : []));
}

/**
 * The part of a fragment merged into a real policy: its signals and decisions as written (their references
 * resolve against the base), and a catch-all decision carrying its plugins and algorithm, routed to the models
 * the fragment names or else the base's first two.
 */
export function fragmentForBase(fragment: Plain, basePolicy: unknown): CompletedFragment {
  const parts = partsOf(fragment);
  const baseModels = modelNamesOf(basePolicy);
  const baseRouting = isPlain(basePolicy) ? basePolicy.routing : undefined;
  const tiers = listAt(baseRouting, 'decisions').map((d) =>
    isPlain(d) && typeof d.tier === 'number' ? d.tier : 0,
  );
  const lastTier = Math.max(0, ...tiers);
  const mentioned = [...modelsMentionedBy(parts.algorithm)];
  const carrierModels = mentioned.length > 0 ? mentioned : baseModels.slice(0, 2);
  const { routing, carrierIndex } = completedRouting(
    parts,
    parts.signals,
    carrierModels,
    baseModels[0] ?? '',
    lastTier,
  );
  const document: Plain = { routing, ...('global' in fragment && { global: fragment.global }) };
  return {
    document,
    fragmentPath: pathMapper(parts, carrierIndex, fragment),
    summary: summarise(parts, fragment, []),
  };
}
