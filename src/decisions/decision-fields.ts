// vLLM Semantic Router's decision-level fields beyond rules and modelRefs: `adaptations`, `output_contract`,
// `output_contract_spec`, `emits`, `candidateIterations` and `annotations`. Each is parsed with the peer's shape;
// those that have no effect in an ext_proc router that forwards one request to one upstream are reported in ONE
// load warning per policy load, so an author migrating from the peer learns it once, not per decision.
import { z } from 'zod';

/**
 * The peer's decision adaptation modes (router learning): `apply` lets a learned adaptation change the selected
 * model, `observe` computes it without changing the choice, `bypass` turns it off for a hard policy route.
 */
export const adaptationModeSchema = z.enum(['apply', 'observe', 'bypass'], {
  message: 'adaptation mode must be apply, observe or bypass',
});

export type AdaptationMode = z.infer<typeof adaptationModeSchema>;

export const adaptationsSchema = z.strictObject({
  /** Short form: `adaptations: {mode: bypass}`. */
  mode: adaptationModeSchema.optional(),
  adaptation: z.strictObject({ mode: adaptationModeSchema }).optional(),
  /** Anti-flapping settings of the session-aware adaptation. */
  protection: z
    .strictObject({
      stability_weight: z.number().nonnegative().optional(),
      switch_margin: z.number().min(0).max(1).optional(),
    })
    .optional(),
});

const emitSchema = z
  .object({
    kind: z.string().min(1, 'an emit needs a kind'),
  })
  .loose();

const candidateModelSchema = z
  .object({
    model: z.string().min(1),
  })
  .loose();

const candidateIterationSchema = z
  .object({
    variable: z.string().min(1, 'a candidate iteration needs a variable'),
    source: z.string().min(1).optional(),
    models: z.array(candidateModelSchema).optional(),
    outputs: z.array(z.object({ type: z.string(), value: z.string() }).loose()).optional(),
  })
  .loose();

/** Schema members added to a decision (spread into `decisionSchema`). */
export const decisionFieldSchemas = {
  adaptations: adaptationsSchema.optional(),
  /** Free-text output requirement the peer hands its looper/ReMoM aggregation. */
  output_contract: z.string().optional(),
  output_contract_spec: z
    .object({ type: z.string().min(1) })
    .loose()
    .optional(),
  emits: z.array(emitSchema).optional(),
  candidateIterations: z.array(candidateIterationSchema).optional(),
  /** Free-form labels for tooling (dashboards, ownership); kept on the compiled decision, never routed on. */
  annotations: z.record(z.string(), z.unknown()).optional(),
};

export type DecisionFieldsDocument = {
  [K in keyof typeof decisionFieldSchemas]?: z.output<(typeof decisionFieldSchemas)[K]>;
};

/** What the compiled decision keeps of these fields. */
export interface DecisionExtras {
  /** The decision's adaptation mode (`bypass` when it sets none: this router runs no learned adaptation). */
  readonly adaptationMode: AdaptationMode;
  readonly annotations?: Readonly<Record<string, unknown>>;
  readonly outputContract?: string;
}

export function decisionExtras(decision: DecisionFieldsDocument): DecisionExtras {
  const mode = decision.adaptations?.adaptation?.mode ?? decision.adaptations?.mode ?? 'bypass';
  return {
    adaptationMode: mode,
    ...(decision.annotations !== undefined && { annotations: decision.annotations }),
    ...(decision.output_contract !== undefined && { outputContract: decision.output_contract }),
  };
}

/** Decision fields that load but change nothing here, with why (the text of the load warning). */
const INERT_FIELDS: ReadonlyArray<{
  readonly field: string;
  readonly inert: (decision: DecisionFieldsDocument) => boolean;
  readonly why: string;
}> = [
  {
    field: 'adaptations',
    inert: (d) => decisionExtras(d).adaptationMode !== 'bypass',
    why: 'apply/observe need the peer’s router learning, which this router does not run: they act as bypass',
  },
  {
    field: 'output_contract',
    inert: (d) => d.output_contract !== undefined,
    why: 'it shapes multi-model (looper) answers; one upstream answers here',
  },
  {
    field: 'output_contract_spec',
    inert: (d) => d.output_contract_spec !== undefined,
    why: 'it shapes multi-model (looper) answers; one upstream answers here',
  },
  {
    field: 'emits',
    inert: (d) => d.emits !== undefined && d.emits.length > 0,
    why: 'session retention directives need the peer’s session state',
  },
  {
    field: 'candidateIterations',
    inert: (d) => d.candidateIterations !== undefined && d.candidateIterations.length > 0,
    why: 'a DSL authoring construct; modelRefs are the candidates',
  },
];

export interface InertFieldUse {
  readonly decisionIndex: number;
  readonly field: string;
}

export interface InertFieldsReport {
  /** Where the first inert field is written (to anchor the warning). */
  readonly first: InertFieldUse;
  readonly message: string;
}

/**
 * The one load warning for every decision field that has no effect in this router, or undefined when the policy
 * uses none. Lists each field once with the decisions that set it.
 */
export function inertDecisionFields(
  decisions: ReadonlyArray<DecisionFieldsDocument & { readonly name: string }>,
): InertFieldsReport | undefined {
  let first: InertFieldUse | undefined;
  const parts: string[] = [];
  for (const { field, inert, why } of INERT_FIELDS) {
    const names: string[] = [];
    decisions.forEach((decision, decisionIndex) => {
      if (!inert(decision)) return;
      names.push(decision.name);
      if (first === undefined) first = { decisionIndex, field };
    });
    if (names.length > 0) parts.push(`${field} (${names.join(', ')}): ${why}`);
  }
  if (first === undefined) return undefined;
  return {
    first,
    message: `decision fields accepted without effect in this router: ${parts.join('; ')}`,
  };
}
