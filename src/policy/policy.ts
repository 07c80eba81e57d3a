// The compiled, immutable policy the hot path reads: no YAML, no regex compilation, no lookups by string search.
import type { DecisionRule, DecisionStrategy } from '../decisions/decision-engine.ts';
import type { PolicyIssue } from '../errors.ts';
import type { DecisionPlugin } from '../plugins/decision-plugin.ts';
import type { PoolCandidate } from '../pools/pool-selector.ts';
import type { ModelCandidate, ModelSelector } from '../selection/model-selector.ts';
import type { SignalEngine } from '../signals/signal-engine.ts';
import type { PolicyDocument } from './policy-schema.ts';

export interface CompiledPool extends PoolCandidate {
  readonly accelerator: string | undefined;
  readonly costPerHour: number | undefined;
  readonly private: boolean;
}

export interface ReasoningFamily {
  readonly type: 'chat_template_kwargs' | 'reasoning_effort';
  readonly parameter: string;
}

export interface CompiledModel {
  readonly name: string;
  readonly providerModelId: string;
  readonly pools: readonly CompiledPool[];
  readonly contextWindow: number | undefined;
  readonly reasoningFamily: ReasoningFamily | undefined;
}

export interface CompiledModelRef extends ModelCandidate {
  readonly model: string;
  readonly useReasoning: boolean;
  readonly reasoningEffort: string | undefined;
  readonly weight: number;
  readonly loraName?: string;
}

export interface CompiledDecision extends DecisionRule {
  readonly description: string | undefined;
  readonly modelRefs: readonly CompiledModelRef[];
  readonly selector: ModelSelector;
  readonly plugins: readonly DecisionPlugin[];
}

export interface PolicySource {
  readonly files: readonly string[];
  /** `v1` (this router's format) or `v0.3` (a vLLM Semantic Router file read directly). */
  readonly format: 'v1' | 'v0.3';
}

export interface Policy {
  readonly source: PolicySource;
  readonly autoModelNames: ReadonlySet<string>;
  readonly defaultModel: CompiledModel;
  readonly models: readonly CompiledModel[];
  /** Models by name, alias and provider model id. */
  readonly modelsByName: ReadonlyMap<string, CompiledModel>;
  readonly pools: readonly CompiledPool[];
  readonly decisions: readonly CompiledDecision[];
  readonly strategy: DecisionStrategy;
  readonly signals: SignalEngine;
  readonly warnings: readonly PolicyIssue[];
  readonly document: PolicyDocument;
  close(): void;
}
