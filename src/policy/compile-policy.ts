// Validates a parsed policy document and compiles it into an immutable Policy (signals, decisions, models, pools).
import type { z } from 'zod';
import {
  checkProjectionLeaf,
  compileProjections,
  type ProjectionCompilation,
} from '../decisions/compile-projections.ts';
import { decisionExtras, inertDecisionFields } from '../decisions/decision-fields.ts';
import { isUnsatisfiable, type LeafPredicate } from '../decisions/leaf-predicate.ts';
import { ProjectingSignalEngine } from '../decisions/projecting-signal-engine.ts';
import { hasProjections, PROJECTION_CONDITION_TYPE } from '../decisions/projections.ts';
import { collectSignalLeaves, type RuleNode, signalKey } from '../decisions/rule-tree.ts';
import { PolicyError } from '../errors.ts';
import { ModelFileError, type OnnxSessionPool } from '../ml/onnx-session-pool.ts';
import { PLUGINS, UNSUPPORTED_PLUGIN_TYPES } from '../plugins/index.ts';
import type { DecisionPlugin, PluginDefinition } from '../plugins/plugin.ts';
import type { PluginDeps } from '../plugins/plugin-deps.ts';
import { metricsEndpointProblem } from '../pools/metrics-scraper.ts';
import { POOL_STATE_DEFAULTS } from '../pools/pool-state.ts';
import {
  createPoolStrategy,
  DEFAULT_POOL_STRATEGY,
  POOL_STRATEGIES,
  type PoolStrategy,
} from '../pools/strategies/index.ts';
import { reportPeerRateLimit } from '../rate-limits/peer-ratelimit.ts';
import { policyPoolCapacity, rateLimitLoadIssues } from '../rate-limits/rate-limit-load-issues.ts';
import { rateLimitScopeNames } from '../rate-limits/rate-limit-scope.ts';
import { compileRateLimits, unknownScopeNames } from '../rate-limits/rate-limiter.ts';
import { UNSUPPORTED_SELECTION_ALGORITHMS } from '../selection/algorithms/unsupported.ts';
import { compileLooperSettings } from '../selection/looper/looper-settings.ts';
import { selectionAlgorithms } from '../selection/model-selector.ts';
import { toExternalModel } from '../signals/external-models.ts';
import { familiesByConditionType, familiesByKey, signalFamily } from '../signals/index.ts';
import { knowledgeBasesReadBy } from '../signals/kb-references.ts';
import { composerLeafTypes, familyComposers } from '../signals/signal-composers.ts';
import { type FamilyEvaluator, SignalEngine } from '../signals/signal-engine.ts';
import {
  RuleConfigError,
  referenceNames,
  type SignalFamily,
  type SignalRule,
} from '../signals/signal-family.ts';
import { compileStateStore } from '../state/state-config.ts';
import { failClosedWhenGuarding, guardingSignalKeys } from './guarding-decisions.ts';
import { closest, IssueCollector, type Locator, type PathSegment, schemaFieldNames } from './issues.ts';
import { loadNamedExtensions } from './load-named-extensions.ts';
import type {
  ApiSettings,
  CompiledDecision,
  CompiledModel,
  CompiledModelRef,
  CompiledPool,
  LlmApiName,
  Policy,
  RequestLimits,
  RoutingScope,
} from './policy.ts';
import { analysePolicy } from './policy-analysis.ts';
import {
  type DecisionDocument,
  LLM_API_NAMES,
  type OnError,
  onErrorSchema,
  type PolicyDocument,
  type PoolSelectionDocument,
  policySchema,
  type RawRuleNode,
} from './policy-schema.ts';
import { closeProfiles, type PreparedRouting, prepareProfiles } from './profiles.ts';
import { reportReplayBackend } from './replay-backend.ts';
import { reportRuleWarning, reportUnsupportedPlugin } from './unsupported.ts';
import { convertV03, isV03Document, v03DocumentSchema } from './vsr-v03.ts';

/** Families of vLLM Semantic Router's language that need ML models, which arrive in a later version. */
// biome-ignore format: one family per line, so parallel removals merge cleanly
const ML_FAMILIES = new Set([
  'safety',
  'input_modality',
]);

export interface CompileOptions {
  readonly file: string;
  readonly policyDir: string;
  /** Where a path is written in the source YAML (1-based line, and the file for multi-file policies). */
  readonly locate?: Locator;
  /** Every file the policy was read from (a directory's files); `[file]` when absent. */
  readonly files?: readonly string[];
  /**
   * Time budget per signal family when the policy's `limits.signal_budget_ms` sets none (default 250 ms); tests
   * inject a generous one so a loaded machine never changes what a request matches.
   */
  readonly signalTimeoutMs?: number;
  /** ONNX sessions shared by every policy generation of the process (ML families); a default pool if absent. */
  readonly sessionPool?: OnnxSessionPool;
  /** Directory of built-in models; the installation's `models/` if absent. */
  readonly builtinModelsDir?: string;
  /** The plugins policies may use; the router's registry (src/plugins/index.ts) if absent. Tests add their own. */
  readonly plugins?: ReadonlyMap<string, PluginDefinition<never>>;
  /**
   * Downgrades unsupported guardrails (safety plugins the router does not implement) from errors to warnings
   * (`--allow-unsupported`). The guardrail still does nothing: the warning says so at every load.
   */
  readonly allowUnsupported?: boolean;
  /**
   * Built-in model of similarity rules (`embeddings`, `complexity`) that name none: `lexical` for vLLM Semantic
   * Router files (their thresholds are written for a sentence encoder's scale), the topic encoder for v1 policies.
   */
  readonly similarityModel?: string;
}

/** The built-in lexical similarity model (models/lexical), calibrated to vLLM Semantic Router's thresholds. */
export const PEER_SIMILARITY_MODEL = 'lexical';

const policyFieldNames = schemaFieldNames(policySchema);

/** Time budget of a signal family when neither the policy nor the caller sets one. */
export const DEFAULT_SIGNAL_BUDGET_MS = 250;

let defaultSignalBudgetMs = DEFAULT_SIGNAL_BUDGET_MS;

/**
 * Changes the budget of families whose policy and caller set none, for this process. The test suite raises it so
 * that what a request matches never depends on how loaded the machine is (test/setup/signal-budgets.ts); budget
 * expiry itself is tested with explicit budgets.
 */
export function setDefaultSignalBudgetMs(ms: number): void {
  defaultSignalBudgetMs = ms;
}

interface SignalCatalogue {
  /** Parsed rules per family key. */
  readonly rules: Map<string, SignalRule[]>;
  /** Names decisions may reference, per condition type. */
  readonly names: Map<string, Set<string>>;
  /** on_error of every reference name, per family key. */
  readonly onError: Map<string, Map<string, OnError>>;
  /** Reference names whose rule sets on_error itself, per family key. */
  readonly explicitOnError?: Map<string, Set<string>>;
  /** routing.projections, compiled; its mapping outputs are the names `projection` leaves may reference. */
  projections?: ProjectionCompilation;
}

const ON_ERROR_SEVERITY: Readonly<Record<OnError, number>> = { skip: 0, match: 1, fail: 2 };

/** Splits the router's own `on_error` off a raw signal rule, so the family's strict schema sees only its fields. */
function takeOnError(
  raw: unknown,
  path: PathSegment[],
  issues: IssueCollector,
): { rule: unknown; onError: OnError | undefined } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('on_error' in raw))
    return { rule: raw, onError: undefined };
  const { on_error: value, ...rule } = raw as Record<string, unknown>;
  const parsed = onErrorSchema.safeParse(value);
  if (!parsed.success) {
    issues.error([...path, 'on_error'], `on_error must be skip, match or fail, got '${String(value)}'`);
    return { rule, onError: undefined };
  }
  return { rule, onError: parsed.data };
}

function parseSignals(doc: PolicyDocument, issues: IssueCollector): SignalCatalogue {
  const rules = new Map<string, SignalRule[]>();
  const names = new Map<string, Set<string>>();
  const onErrorByFamily = new Map<string, Map<string, OnError>>();
  const explicitOnError = new Map<string, Set<string>>();
  for (const [key, rawRules] of Object.entries(doc.routing.signals)) {
    const path: PathSegment[] = ['routing', 'signals', key];
    const family = signalFamily(key);
    if (!family) {
      if (ML_FAMILIES.has(key)) {
        issues.error(
          path,
          `signal family '${key}' needs ML classifiers, which this router version does not ship yet`,
        );
      } else {
        const suggestion = closest(key, familiesByKey.keys());
        issues.error(
          path,
          `unknown signal family '${key}'`,
          suggestion
            ? `did you mean '${suggestion}'?`
            : `use one of: ${[...familiesByKey.keys()].join(', ')}`,
        );
      }
      continue;
    }
    const parsed: SignalRule[] = [];
    const seen = new Set<string>();
    const fieldNames = [...schemaFieldNames(family.ruleSchema), 'on_error'];
    const onError = new Map<string, OnError>();
    const familyDefault = family.defaultOnError ?? 'skip';
    rawRules.forEach((rawRule, index) => {
      const { rule: raw, onError: ruleOnError } = takeOnError(rawRule, [...path, index], issues);
      const result = (family.ruleSchema as z.ZodType<SignalRule>).safeParse(raw);
      if (!result.success) {
        issues.fromZod(result.error, [...path, index], () => [...fieldNames]);
        return;
      }
      if (seen.has(result.data.name)) {
        issues.error(
          [...path, index, 'name'],
          `duplicate ${key} rule name '${result.data.name}'`,
          'give each rule its own name',
        );
      }
      seen.add(result.data.name);
      parsed.push(result.data);
      // Several rules may emit one name (role_bindings roles): the strictest on_error wins.
      const action = ruleOnError ?? familyDefault;
      for (const name of referenceNames(family, [result.data])) {
        const nameAction = ruleOnError ?? family.defaultOnErrorFor?.(result.data, name) ?? action;
        if (ruleOnError !== undefined)
          explicitOnError.set(key, (explicitOnError.get(key) ?? new Set()).add(name));
        const previous = onError.get(name);
        if (previous === undefined || ON_ERROR_SEVERITY[nameAction] > ON_ERROR_SEVERITY[previous])
          onError.set(name, nameAction);
      }
    });
    rules.set(key, parsed);
    names.set(family.conditionType, new Set(referenceNames(family, parsed)));
    onErrorByFamily.set(key, onError);
  }
  return { rules, names, onError: onErrorByFamily, explicitOnError };
}

/** The reference name a leaf reads: `name`, or `name:label` for one label of a multi-label signal. */
function labelledName(name: string, label: string | undefined): string {
  return label === undefined ? name : `${name}:${label}`;
}

function checkLabelledLeaf(
  node: RawRuleNode,
  conditionType: string,
  path: PathSegment[],
  signals: SignalCatalogue,
  issues: IssueCollector,
): void {
  const defined = signals.names.get(conditionType);
  const wanted = labelledName(node.name ?? '', node.label);
  if (defined?.has(wanted)) return;
  const labels = [...(defined ?? [])]
    .filter((n) => n.startsWith(`${node.name}:`))
    .map((n) => n.slice((node.name ?? '').length + 1));
  issues.error(
    path,
    `${conditionType} signal '${node.name}' has no label '${node.label}'`,
    labels.length > 0
      ? `use one of: ${labels.join(', ')}`
      : `label needs a ${conditionType} signal named '${node.name}' that scores labels`,
  );
}

function checkPredicate(
  predicate: LeafPredicate,
  path: PathSegment[],
  issues: IssueCollector,
): LeafPredicate {
  if (isUnsatisfiable(predicate))
    issues.error(
      [...path, 'predicate'],
      'no score can pass this predicate',
      'check the bounds of gt/gte/lt/lte',
    );
  return predicate;
}

function compileRuleNode(
  node: RawRuleNode | undefined,
  path: PathSegment[],
  signals: SignalCatalogue,
  issues: IssueCollector,
): RuleNode {
  if (node === undefined) return { kind: 'always' };
  const hasChildren = node.conditions !== undefined;
  if (node.type !== undefined) {
    if (node.operator !== undefined || hasChildren) {
      issues.error(path, 'a condition is either a leaf {type, name} or {operator, conditions}, not both');
    }
    const conditionType = node.type.trim().toLowerCase();
    const name = node.name ?? '';
    if (!name) issues.error([...path, 'name'], 'a leaf condition needs a name');
    const family = familiesByConditionType.get(conditionType);
    if (conditionType === PROJECTION_CONDITION_TYPE) {
      if (name)
        checkProjectionLeaf(name, signals.projections?.outputNames ?? new Set(), [...path, 'name'], issues);
    } else if (!family) {
      const suggestion = closest(conditionType, [
        ...familiesByConditionType.keys(),
        PROJECTION_CONDITION_TYPE,
      ]);
      issues.error(
        [...path, 'type'],
        `unknown condition type '${node.type}'`,
        suggestion
          ? `did you mean '${suggestion}'?`
          : `use one of: ${[...familiesByConditionType.keys()].join(', ')}`,
      );
    } else if (name && node.label !== undefined) {
      checkLabelledLeaf(node, conditionType, [...path, 'label'], signals, issues);
    } else if (name) {
      const defined = signals.names.get(conditionType);
      if (!defined?.has(name)) {
        const available = defined ? [...defined] : [];
        issues.error(
          [...path, 'name'],
          `decision references ${conditionType} signal '${name}', which is not defined under routing.signals.${family.family}`,
          available.length > 0
            ? `define it, or use one of: ${available.join(', ')}`
            : `define a rule named '${name}' under routing.signals.${family.family}`,
        );
      }
    }
    return {
      kind: 'signal',
      conditionType,
      name,
      key: signalKey(conditionType, labelledName(name, node.label)),
      ...(node.on_error !== undefined && { onError: node.on_error }),
      ...(node.predicate !== undefined && { predicate: checkPredicate(node.predicate, path, issues) }),
    };
  }
  if (node.on_error !== undefined)
    issues.error(
      [...path, 'on_error'],
      'on_error belongs on a leaf condition {type, name}, not on an operator',
    );
  for (const leafOnly of ['label', 'predicate'] as const)
    if (node[leafOnly] !== undefined)
      issues.error(
        [...path, leafOnly],
        `${leafOnly} belongs on a leaf condition {type, name}, not on an operator`,
      );
  if (node.operator === undefined && !hasChildren && node.name === undefined) return { kind: 'always' };
  const operator = (node.operator ?? '').toUpperCase();
  const children = (node.conditions ?? []).map((child, i) =>
    compileRuleNode(child, [...path, 'conditions', i], signals, issues),
  );
  switch (operator) {
    case 'AND':
      return children.length === 0 ? { kind: 'always' } : { kind: 'and', children };
    case 'OR':
      if (children.length === 0)
        issues.error([...path, 'conditions'], 'OR with no conditions can never match');
      return { kind: 'or', children };
    case 'NOT': {
      if (children.length !== 1) {
        issues.error(
          [...path, 'conditions'],
          `NOT takes exactly one condition, got ${children.length}`,
          'wrap several in OR or AND',
        );
      }
      return { kind: 'not', child: children[0] ?? { kind: 'always' } };
    }
    default:
      issues.error([...path, 'operator'], `operator must be AND, OR or NOT, got '${node.operator ?? ''}'`);
      return { kind: 'always' };
  }
}

/** What a plugin factory gets from the load: the policy's directory, the shared sessions, a warning channel. */
function pluginDeps(options: CompileOptions, issues: IssueCollector, pluginPath: PathSegment[]): PluginDeps {
  return {
    policyDir: options.policyDir,
    ...(options.sessionPool !== undefined && { sessionPool: options.sessionPool }),
    ...(options.builtinModelsDir !== undefined && { builtinModelsDir: options.builtinModelsDir }),
    warn: (field, message, hint) => issues.warning([...pluginPath, 'configuration', ...field], message, hint),
    error: (field, message, hint) => issues.error([...pluginPath, 'configuration', ...field], message, hint),
  };
}

function compilePlugins(
  decision: DecisionDocument,
  path: PathSegment[],
  issues: IssueCollector,
  options: CompileOptions,
): DecisionPlugin[] {
  const plugins: DecisionPlugin[] = [];
  decision.plugins.forEach((plugin, index) => {
    if (plugin.enabled === false) return;
    const pluginPath = [...path, 'plugins', index];
    const factory = (options.plugins ?? PLUGINS).get(plugin.type);
    if (!factory) {
      if (UNSUPPORTED_PLUGIN_TYPES.has(plugin.type)) {
        // The peer's plugins switch off with `configuration.enabled: false`: such a plugin asks for nothing.
        if (plugin.configuration.enabled === false) return;
        reportUnsupportedPlugin(
          plugin.type,
          [...pluginPath, 'type'],
          issues,
          options.allowUnsupported === true,
          plugin.configuration,
        );
      } else {
        issues.error(
          [...pluginPath, 'type'],
          `unknown plugin type '${plugin.type}'`,
          `use one of: ${[...(options.plugins ?? PLUGINS).keys()].join(', ')}`,
        );
      }
      return;
    }
    const config = (factory.configSchema as z.ZodType<unknown>).safeParse(plugin.configuration);
    if (!config.success) issues.fromZod(config.error, [...pluginPath, 'configuration']);
    else plugins.push(factory.create(config.data as never, pluginDeps(options, issues, pluginPath) as never));
  });
  return plugins;
}

/**
 * Decisions that may use each reserved pool: its `reserved_for` list, or for a `private: true` pool every decision
 * that routes to a model the pool serves. Unreserved pools are absent from the map.
 */
function poolReservations(doc: PolicyDocument, issues: IssueCollector): Map<string, ReadonlySet<string>> {
  const decisionNames = new Set(doc.routing.decisions.map((d) => d.name));
  const modelPools = new Map(doc.models.map((m) => [m.name, new Set(m.pools)]));
  const reservations = new Map<string, ReadonlySet<string>>();
  doc.pools.forEach((pool, index) => {
    if (pool.reserved_for !== undefined) {
      pool.reserved_for.forEach((name, k) => {
        if (!decisionNames.has(name)) {
          const suggestion = closest(name, decisionNames);
          issues.error(
            ['pools', index, 'reserved_for', k],
            `pool '${pool.name}' is reserved for decision '${name}', which is not defined under routing.decisions`,
            suggestion ? `did you mean '${suggestion}'?` : 'name a decision of this policy',
          );
        }
      });
      reservations.set(pool.name, new Set(pool.reserved_for));
    } else if (pool.private === true) {
      const users = doc.routing.decisions
        .filter((d) => d.modelRefs.some((ref) => modelPools.get(ref.model)?.has(pool.name)))
        .map((d) => d.name);
      reservations.set(pool.name, new Set(users));
    }
  });
  return reservations;
}

/** The strategy a `pool_selection` names, its settings in the member of the same name; errors at `path`. */
function compilePoolStrategy(
  selection: PoolSelectionDocument,
  path: PathSegment[],
  issues: IssueCollector,
): PoolStrategy {
  const { strategy, ...rest } = selection;
  const definition = POOL_STRATEGIES.get(strategy);
  const fallback = createPoolStrategy(DEFAULT_POOL_STRATEGY);
  if (!definition) {
    const suggestion = closest(strategy, POOL_STRATEGIES.keys());
    issues.error(
      [...path, 'strategy'],
      `unknown pool selection strategy '${strategy}'`,
      suggestion ? `did you mean '${suggestion}'?` : `use one of: ${[...POOL_STRATEGIES.keys()].join(', ')}`,
    );
    return fallback;
  }
  const unexpected = Object.keys(rest).filter((key) => key !== strategy);
  for (const key of unexpected)
    issues.error([...path, key], `unknown field '${key}'`, `settings of ${strategy} go under '${strategy}:'`);
  const config = definition.configSchema.safeParse((rest as Record<string, unknown>)[strategy] ?? {});
  if (!config.success) {
    issues.fromZod(config.error, [...path, strategy]);
    return fallback;
  }
  return definition.create(config.data);
}

function compileModels(doc: PolicyDocument, issues: IssueCollector) {
  const pools = new Map<string, CompiledPool>();
  const reservations = poolReservations(doc, issues);
  doc.pools.forEach((pool, index) => {
    if (pools.has(pool.name)) issues.error(['pools', index, 'name'], `duplicate pool name '${pool.name}'`);
    const endpointProblem =
      pool.metrics_endpoint === undefined ? undefined : metricsEndpointProblem(pool.metrics_endpoint);
    if (endpointProblem)
      issues.error(['pools', index, 'metrics_endpoint'], `metrics_endpoint ${endpointProblem}`);
    pools.set(pool.name, {
      name: pool.name,
      envoyCluster: pool.envoy_cluster ?? pool.name,
      maxContextTokens: pool.max_context_tokens,
      accelerator: pool.accelerator,
      costPerHour: pool.cost_per_hour,
      private: pool.private ?? false,
      metricsEndpoint: pool.metrics_endpoint,
      reservedFor: reservations.get(pool.name),
    });
  });
  const models: CompiledModel[] = [];
  const byName = new Map<string, CompiledModel>();
  doc.models.forEach((model, index) => {
    const path: PathSegment[] = ['models', index];
    if (byName.has(model.name)) issues.error([...path, 'name'], `duplicate model name '${model.name}'`);
    const modelPools = model.pools.flatMap((name, poolIndex) => {
      const pool = pools.get(name);
      if (!pool) {
        const suggestion = closest(name, pools.keys());
        issues.error(
          [...path, 'pools', poolIndex],
          `model '${model.name}' names pool '${name}', which is not defined under pools`,
          suggestion
            ? `did you mean '${suggestion}'?`
            : `define it under pools or use one of: ${[...pools.keys()].join(', ')}`,
        );
        return [];
      }
      return [pool];
    });
    let reasoningFamily: CompiledModel['reasoningFamily'];
    if (model.reasoning_family !== undefined) {
      reasoningFamily = doc.reasoning_families[model.reasoning_family];
      if (!reasoningFamily) {
        issues.error(
          [...path, 'reasoning_family'],
          `reasoning family '${model.reasoning_family}' is not defined under reasoning_families`,
        );
      }
    }
    const compiled: CompiledModel = {
      name: model.name,
      providerModelId: model.provider_model_id ?? model.name,
      pools: modelPools,
      contextWindow: model.context_window,
      reasoningFamily,
      apis: new Set<LlmApiName>(model.apis ?? LLM_API_NAMES),
      pricing: model.pricing && {
        currency: model.pricing.currency,
        promptPer1m: model.pricing.prompt_per_1m,
        completionPer1m: model.pricing.completion_per_1m,
        cachedInputPer1m: model.pricing.cached_input_per_1m,
      },
      failover: model.failover,
      quality: model.quality,
      poolStrategy: compilePoolStrategy(
        model.pool_selection ?? doc.pool_selection,
        model.pool_selection ? [...path, 'pool_selection'] : ['pool_selection'],
        issues,
      ),
    };
    models.push(compiled);
    byName.set(model.name, compiled);
  });
  // Aliases and provider ids resolve too, but never shadow a model's own name.
  for (const [index, model] of doc.models.entries()) {
    const compiled = models[index] as CompiledModel;
    for (const alias of [...(model.aliases ?? []), compiled.providerModelId]) {
      if (!byName.has(alias)) byName.set(alias, compiled);
    }
  }
  return { pools, models, byName };
}

function compileDecisions(
  doc: PolicyDocument,
  signals: SignalCatalogue,
  modelNames: ReadonlySet<string>,
  issues: IssueCollector,
  options: CompileOptions,
): CompiledDecision[] {
  const seen = new Set<string>();
  return doc.routing.decisions.map((decision, index) => {
    const path: PathSegment[] = ['routing', 'decisions', index];
    if (seen.has(decision.name))
      issues.error([...path, 'name'], `duplicate decision name '${decision.name}'`);
    seen.add(decision.name);
    const rule = compileRuleNode(decision.rules, [...path, 'rules'], signals, issues);
    const modelRefs: CompiledModelRef[] = decision.modelRefs.map((ref, refIndex) => {
      if (!modelNames.has(ref.model)) {
        const suggestion = closest(ref.model, modelNames);
        issues.error(
          [...path, 'modelRefs', refIndex, 'model'],
          `decision '${decision.name}' routes to model '${ref.model}', which is not defined under models`,
          suggestion ? `did you mean '${suggestion}'?` : `use one of: ${[...modelNames].join(', ')}`,
        );
      }
      return {
        model: ref.model,
        useReasoning: ref.use_reasoning ?? false,
        reasoningEffort: ref.reasoning_effort,
        weight: ref.weight ?? 1,
        ...(ref.lora_name !== undefined && { loraName: ref.lora_name }),
      };
    });
    const algorithmType = decision.algorithm?.type ?? 'static';
    const algorithm = selectionAlgorithms.get(algorithmType);
    let selector = selectionAlgorithms.get('static')?.create({} as never);
    if (!algorithm) {
      const why = UNSUPPORTED_SELECTION_ALGORITHMS.get(algorithmType);
      issues.error(
        [...path, 'algorithm', 'type'],
        `model selection algorithm '${algorithmType}' is not supported${why ? `: ${why}` : ''}`,
        `use one of: ${[...selectionAlgorithms.keys()].join(', ')}`,
      );
    } else {
      const { type: _type, on_error: _onError, ...rest } = decision.algorithm ?? { type: 'static' };
      const nested = (rest as Record<string, unknown>)[algorithmType];
      const isNested = typeof nested === 'object' && nested !== null;
      const raw = withoutInertFields(
        (isNested ? nested : rest) as Record<string, unknown>,
        algorithm.inertFields,
        [...path, 'algorithm', ...(isNested ? [algorithmType] : [])],
        issues,
      );
      const config = (algorithm.configSchema as z.ZodType<unknown>).safeParse(raw);
      if (!config.success)
        issues.fromZod(config.error, [...path, 'algorithm', ...(isNested ? [algorithmType] : [])]);
      else selector = algorithm.create(config.data as never);
      for (const model of selector?.configModels ?? [])
        if (!modelNames.has(model))
          issues.error(
            [...path, 'algorithm', algorithmType],
            `${algorithmType} names model '${model}', which is not defined under models`,
            `use one of: ${[...modelNames].join(', ')}`,
          );
      if (selector?.needsLooper && doc.looper === undefined)
        issues.warning(
          [...path, 'algorithm', 'type'],
          `decision '${decision.name}' uses '${algorithmType}', which calls models through the policy's looper, and the policy has none: its requests go to one model (docs/loopers.md)`,
          'set `looper: {endpoint: http://<router listener>/v1/chat/completions}` (v0.3: global.integrations.looper)',
        );
    }
    return {
      name: decision.name,
      description: decision.description,
      priority: decision.priority,
      tier: decision.tier,
      enforced: decision.enforce === 'always',
      rule,
      modelRefs,
      selector: selector as NonNullable<typeof selector>,
      plugins: compilePlugins(decision, path, issues, options),
      extras: decisionExtras(decision),
    };
  });
}

/** An algorithm's config without the peer's fields it accepts without effect, each reported as one warning. */
function withoutInertFields(
  config: Record<string, unknown>,
  inert: ReadonlyMap<string, string> | undefined,
  path: readonly PathSegment[],
  issues: IssueCollector,
): Record<string, unknown> {
  if (!inert) return config;
  const kept: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(config)) {
    const why = inert.get(field);
    if (why === undefined) kept[field] = value;
    else issues.warning([...path, field], `${field} is accepted without effect: ${why}`);
  }
  return kept;
}

async function buildSignalEngine(
  doc: PolicyDocument,
  signals: SignalCatalogue,
  decisions: readonly CompiledDecision[],
  options: CompileOptions,
  issues: IssueCollector,
): Promise<SignalEngine> {
  const referencedTypes = new Set(
    decisions.flatMap((d) => collectSignalLeaves(d.rule).map((leaf) => leaf.conditionType)),
  );
  for (const type of projectionInputTypes(referencedTypes, signals)) referencedTypes.add(type);
  const composers = [...signals.rules].flatMap(([key, rules]) =>
    familyComposers(
      signalFamily(key) as SignalFamily,
      rules,
      (node, path) => compileRuleNode(node, path, signals, issues),
      ['routing', 'signals', key],
    ),
  );
  for (const type of composerLeafTypes(composers, referencedTypes)) referencedTypes.add(type);
  const evaluators: FamilyEvaluator[] = [];
  const guarding = guardingSignalKeys(decisions);
  for (const [key, rules] of signals.rules) {
    const family = signalFamily(key) as SignalFamily;
    if (!referencedTypes.has(family.conditionType) || rules.length === 0) continue;
    try {
      const evaluator = await family.create(rules, {
        policyDir: options.policyDir,
        ...(options.sessionPool !== undefined && { sessionPool: options.sessionPool }),
        ...(options.builtinModelsDir !== undefined && { builtinModelsDir: options.builtinModelsDir }),
        ...(options.similarityModel !== undefined && { similarityModel: options.similarityModel }),
        knowledgeBases: doc.knowledge_bases,
        externalModels: new Map(doc.external_models.map((m) => [m.name, toExternalModel(m)])),
      });
      for (const w of evaluator.warnings ?? [])
        reportRuleWarning(
          w.neverMatches !== undefined && guarding.has(signalKey(family.conditionType, w.neverMatches))
            ? { ...w, unsupportedGuardrail: true }
            : w,
          ['routing', 'signals', key, w.ruleIndex, ...w.path.split('.').filter(Boolean)],
          issues,
          options.allowUnsupported === true,
        );
      const budgets = doc.limits.signal_budget_ms;
      evaluators.push({
        family: key,
        conditionType: family.conditionType,
        evaluator,
        onError: failClosedWhenGuarding(
          family,
          signals.onError.get(key) ?? new Map(),
          signals.explicitOnError?.get(key),
          guarding,
        ),
        budgetMs:
          budgets[key] ??
          evaluator.budgetMs ??
          budgets.default ??
          options.signalTimeoutMs ??
          defaultSignalBudgetMs,
      });
    } catch (error) {
      if (error instanceof ModelFileError) {
        issues.error(
          ['routing', 'signals', key],
          error.message,
          'point `model:` at a model file, a model directory or a Hugging Face export directory (relative to the policy file)',
        );
        continue;
      }
      if (!(error instanceof RuleConfigError)) {
        // Release the models earlier families loaded before giving up.
        for (const loaded of evaluators) loaded.evaluator.close?.();
        throw error;
      }
      for (const problem of error.problems) {
        issues.error(
          ['routing', 'signals', key, problem.ruleIndex, ...problem.path.split('.').filter(Boolean)],
          problem.message,
          problem.hint,
        );
      }
    }
  }
  const engineOptions = {
    maxScanChars: doc.limits.max_scan_chars,
    composers: composers.filter((c) => referencedTypes.has(c.conditionType)),
  };
  const projections = signals.projections?.projections;
  return projections && hasProjections(projections)
    ? new ProjectingSignalEngine(evaluators, engineOptions, projections)
    : new SignalEngine(evaluators, engineOptions);
}

/** Families projections read, to run when some decision references a projection (scores read any family). */
function projectionInputTypes(
  referenced: ReadonlySet<string>,
  signals: SignalCatalogue,
): ReadonlySet<string> {
  return referenced.has(PROJECTION_CONDITION_TYPE)
    ? (signals.projections?.inputTypes ?? new Set())
    : new Set<string>();
}

/** The breaker and scrape settings must make a working pool-state registry. */
function checkPoolStateSettings(doc: PolicyDocument, issues: IssueCollector): void {
  const { breaker, scrape } = doc;
  const openSeconds = breaker.open_seconds ?? POOL_STATE_DEFAULTS.openMs / 1000;
  if (breaker.max_open_seconds !== undefined && breaker.max_open_seconds < openSeconds) {
    issues.error(
      ['breaker', 'max_open_seconds'],
      `max_open_seconds must be at least open_seconds (${openSeconds}${breaker.open_seconds === undefined ? ', the default' : ''})`,
    );
  }
  if (scrape.stale_seconds <= scrape.interval_seconds) {
    issues.error(
      ['scrape', 'stale_seconds'],
      `stale_seconds (${scrape.stale_seconds}) must exceed interval_seconds (${scrape.interval_seconds})`,
      'scraped figures would turn stale between two scrapes',
    );
  }
}

function checkBudgetKeys(doc: PolicyDocument, issues: IssueCollector): void {
  for (const key of Object.keys(doc.limits.signal_budget_ms)) {
    if (key === 'default' || familiesByKey.has(key)) continue;
    const suggestion = closest(key, familiesByKey.keys());
    issues.error(
      ['limits', 'signal_budget_ms', key],
      `'${key}' is not a signal family`,
      suggestion
        ? `did you mean '${suggestion}'?`
        : `use default or one of: ${[...familiesByKey.keys()].join(', ')}`,
    );
  }
}

function apiSettings(doc: PolicyDocument): ApiSettings {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const path of doc.api.passthrough_paths) {
    const lower = path.toLowerCase();
    if (lower.endsWith('*')) prefixes.push(lower.slice(0, -1));
    else exact.add(lower.length > 1 ? lower.replace(/\/+$/, '') : lower);
  }
  return {
    unroutedLlmPaths: doc.api.unrouted_llm_paths,
    passthroughPaths: exact,
    passthroughPrefixes: prefixes,
  };
}

function requestLimits(doc: PolicyDocument): RequestLimits {
  return {
    maxJsonDepth: doc.limits.max_json_depth,
    maxRequestHeaders: doc.limits.max_request_headers,
    maxRequestHeaderBytes: doc.limits.max_request_header_bytes,
    maxScanChars: doc.limits.max_scan_chars,
  };
}

/** A routing section's signal catalogue, with its projections compiled against it. */
function parseRoutingSignals(doc: PolicyDocument, issues: IssueCollector): SignalCatalogue {
  const signals = parseSignals(doc, issues);
  signals.projections = compileProjections(
    doc.routing.projections,
    {
      names: signals.names,
      knownTypes: new Set(familiesByConditionType.keys()),
      knowledgeBases: knowledgeBasesReadBy(signals.rules.get('kb')),
    },
    issues,
  );
  return signals;
}

/** One warning per routing section for the peer's decision fields that change nothing here. */
function warnInertDecisionFields(doc: PolicyDocument, issues: IssueCollector): void {
  const inert = inertDecisionFields(doc.routing.decisions);
  if (inert)
    issues.warning(['routing', 'decisions', inert.first.decisionIndex, inert.first.field], inert.message);
}

/** Family keys of the signals some enforced decision reads, directly or through projections. */
function familiesOf(decisions: readonly CompiledDecision[], signals: SignalCatalogue): Set<string> {
  const families = new Set<string>();
  for (const decision of decisions) {
    const types = new Set(collectSignalLeaves(decision.rule).map((leaf) => leaf.conditionType));
    for (const type of projectionInputTypes(types, signals)) types.add(type);
    for (const type of types) {
      const family = familiesByConditionType.get(type);
      if (family) families.add(family.family);
    }
  }
  return families;
}

/** Signal names for the unused-signal check, leaving out those projection scores read. */
function namesNotReadByProjections(signals: SignalCatalogue): Map<string, Set<string>> {
  const read = signals.projections?.inputKeys ?? new Set<string>();
  return new Map(
    [...signals.names].map(([type, names]) => [
      type,
      new Set([...names].filter((n) => !read.has(signalKey(type, n)))),
    ]),
  );
}

/**
 * A routing profile's signals and decisions, compiled like the top-level ones (`doc.routing` is the profile's);
 * pools and models are the file's, checked once at the top level.
 */
function prepareRouting(
  doc: PolicyDocument,
  modelNames: ReadonlySet<string>,
  issues: IssueCollector,
  options: CompileOptions,
): PreparedRouting {
  const signals = parseRoutingSignals(doc, issues);
  const decisions = compileDecisions(doc, signals, modelNames, issues, options);
  warnInertDecisionFields(doc, issues);
  analysePolicy({
    doc: { ...doc, pools: [] },
    decisions,
    signals: namesNotReadByProjections(signals),
    models: [],
    issues,
  });
  return {
    async build() {
      const engine = await buildSignalEngine(doc, signals, decisions, options, issues);
      const enforcedDecisions = decisions.filter((d) => d.enforced);
      return {
        decisions,
        enforcedDecisions,
        enforcedFamilies: familiesOf(enforcedDecisions, signals),
        strategy: doc.routing.strategy,
        signals: engine,
      };
    },
  };
}

function toV1Document(raw: unknown, issues: IssueCollector): { raw: unknown; format: 'v1' | 'v0.3' } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { raw, format: 'v1' };
  const schemaVersion = (raw as Record<string, unknown>).schema_version;
  if (typeof schemaVersion === 'string' && schemaVersion.startsWith('vllm-sr/')) {
    issues.error(
      ['schema_version'],
      `this is a vLLM Semantic Router ${schemaVersion.slice('vllm-sr/'.length)} document, not a routing policy`,
      "validate or serve the recipe's config.yaml (its routing configuration) instead",
    );
    return { raw: undefined, format: 'v0.3' };
  }
  if (!isV03Document(raw as Record<string, unknown>)) return { raw, format: 'v1' };
  const parsed = v03DocumentSchema.safeParse(raw);
  if (!parsed.success) {
    issues.fromZod(parsed.error, []);
    return { raw: undefined, format: 'v0.3' };
  }
  reportReplayBackend(raw as Record<string, unknown>, issues);
  reportPeerRateLimit(raw as Record<string, unknown>, issues);
  return { raw: convertV03(parsed.data), format: 'v0.3' };
}

/** Validates and compiles; throws PolicyError listing every problem found (never just the first). */
export async function compilePolicy(raw: unknown, givenOptions: CompileOptions): Promise<Policy> {
  let options = givenOptions;
  const issues = new IssueCollector(options.file, options.locate ?? (() => undefined));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.error([], 'a policy file must be a YAML mapping with version, pools, models and routing');
    throw new PolicyError(issues.issues);
  }
  const converted = toV1Document(raw, issues);
  if (issues.hasErrors) throw new PolicyError(issues.issues);
  if (converted.format === 'v0.3' && options.similarityModel === undefined)
    options = { ...options, similarityModel: PEER_SIMILARITY_MODEL };
  const parsed = policySchema.safeParse(converted.raw);
  if (!parsed.success) {
    issues.fromZod(parsed.error, [], () => [...policyFieldNames]);
    throw new PolicyError(issues.issues);
  }
  const doc = parsed.data;
  await loadNamedExtensions(doc);
  const { pools, models, byName } = compileModels(doc, issues);
  const defaultModel = byName.get(doc.default_model);
  if (!defaultModel) {
    issues.error(
      ['default_model'],
      `default model '${doc.default_model}' is not defined under models`,
      `use one of: ${models.map((m) => m.name).join(', ')}`,
    );
  }
  doc.auto_model_names.forEach((name, index) => {
    if (byName.has(name))
      issues.error(['auto_model_names', index], `'${name}' is both an auto model name and a model`);
  });
  const signals = parseRoutingSignals(doc, issues);
  checkBudgetKeys(doc, issues);
  checkPoolStateSettings(doc, issues);
  const stateStore = compileStateStore(doc.state_store);
  for (const problem of stateStore.problems)
    issues.error(['state_store', ...problem.path], problem.message, problem.hint);
  if (doc.rate_limits)
    for (const problem of unknownScopeNames(doc.rate_limits, rateLimitScopeNames(doc)))
      issues.error(['rate_limits', ...problem.path], problem.message);
  for (const problem of rateLimitLoadIssues(doc))
    issues[problem.severity](['rate_limits', ...problem.path], problem.message, problem.hint);
  const modelNames = new Set(models.map((m) => m.name));
  const decisions = compileDecisions(doc, signals, modelNames, issues, options);
  warnInertDecisionFields(doc, issues);
  analysePolicy({ doc, decisions, signals: namesNotReadByProjections(signals), models, issues });
  const preparedProfiles = prepareProfiles({
    doc,
    modelNames: new Set(byName.keys()),
    autoModelNames: new Set(doc.auto_model_names),
    prepare: (routing, scoped) => prepareRouting({ ...doc, routing }, modelNames, scoped, options),
    issues,
  });
  if (issues.hasErrors) throw new PolicyError(issues.issues);
  const engine = await buildSignalEngine(doc, signals, decisions, options, issues);
  if (issues.hasErrors) {
    engine.close();
    throw new PolicyError(issues.issues);
  }
  const enforcedDecisions = decisions.filter((d) => d.enforced);
  const topLevel: RoutingScope = {
    decisions,
    enforcedDecisions,
    enforcedFamilies: familiesOf(enforcedDecisions, signals),
    strategy: doc.routing.strategy,
    signals: engine,
  };
  const profiles = await preparedProfiles.build(topLevel).catch((error: unknown) => {
    engine.close();
    throw error;
  });
  if (issues.hasErrors) {
    closeProfiles(profiles);
    engine.close();
    throw new PolicyError(issues.issues);
  }
  return Object.freeze({
    source: { files: options.files ?? [options.file], format: converted.format },
    autoModelNames: new Set(doc.auto_model_names),
    defaultModel: defaultModel as CompiledModel,
    models,
    modelsByName: byName,
    pools: [...pools.values()],
    decisions,
    enforcedDecisions,
    enforcedFamilies: topLevel.enforcedFamilies,
    strategy: doc.routing.strategy,
    signals: engine,
    profiles,
    identity: {
      source: doc.identity.source,
      userIdHeader: doc.identity.user_id_header.toLowerCase(),
      userGroupsHeader: doc.identity.user_groups_header.toLowerCase(),
      metadataNamespace: doc.identity.metadata_namespace,
      userIdPath: doc.identity.user_id_path.split('.'),
      groupsPath: doc.identity.groups_path.split('.'),
    },
    api: apiSettings(doc),
    limits: requestLimits(doc),
    breaker: {
      consecutiveFailures: doc.breaker.consecutive_failures,
      errorRatio: doc.breaker.error_ratio,
      minRequestsForRatio: doc.breaker.min_requests,
      openMs: doc.breaker.open_seconds === undefined ? undefined : doc.breaker.open_seconds * 1000,
      maxOpenMs: doc.breaker.max_open_seconds === undefined ? undefined : doc.breaker.max_open_seconds * 1000,
      halfOpenProbes: doc.breaker.half_open_probes,
      scrapeStaleMs: doc.scrape.stale_seconds * 1000,
    },
    scrape: {
      intervalMs: doc.scrape.interval_seconds * 1000,
      timeoutMs: doc.scrape.timeout_ms,
      staleAfterMs: doc.scrape.stale_seconds * 1000,
    },
    response: {
      readBody: doc.response.read_body,
      includeUsage: doc.response.include_usage,
      dynamicMetadataNamespace: doc.response.dynamic_metadata_namespace,
      accessLog: doc.response.access_log,
      costBasis: doc.response.cost_basis,
    },
    stateStore: stateStore.settings,
    rateLimits: doc.rate_limits && compileRateLimits(doc.rate_limits, policyPoolCapacity(doc)),
    looper: doc.looper && compileLooperSettings(doc.looper),
    warnings: issues.issues.filter((i) => i.severity === 'warning'),
    document: doc,
    close: () => {
      closeProfiles(profiles);
      engine.close();
    },
  });
}
