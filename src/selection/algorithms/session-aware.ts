// `session_aware`: a conversation stays on the model that served its first turn, so the engine's prefix (KV) cache
// keeps paying off; the affinity lives in the shared store (Redis when configured) so every replica honours it.
// New conversations go to an inner algorithm (`fallback_method`); a conversation leaves its model when every pool
// of it is unavailable (breakers) or the conversation has outgrown its context, and the reason says which.
import { z } from 'zod';
import type {
  CandidateScore,
  ModelCandidate,
  ModelSelector,
  Selection,
  SelectionAlgorithm,
  SelectionContext,
  SelectionOutcome,
} from '../model-selector.ts';
import { contextMisfitReason, unavailableReason } from './candidate-facts.ts';
import { conversationKey, DEFAULT_SESSION_HEADER } from './conversation-key.ts';

/** Looks up another registered algorithm by name (the registry, passed in to avoid an import cycle). */
export type AlgorithmLookup = (name: string) => SelectionAlgorithm<never> | undefined;

export interface SessionAwareConfig {
  readonly fallbackMethod: string;
  readonly fallback: ModelSelector;
  readonly sessionHeader: string;
  readonly idleTimeoutMs: number;
}

interface Affinity {
  readonly model: string;
  readonly turns: number;
}

interface SessionMemo {
  /** Set when the inner algorithm chose: its memo goes back to it with the outcome. */
  readonly inner?: { readonly memo: unknown };
}

function parseAffinity(raw: string | undefined): Affinity | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Affinity>;
    return typeof value.model === 'string' && typeof value.turns === 'number'
      ? { model: value.model, turns: value.turns }
      : undefined;
  } catch {
    return undefined;
  }
}

const rawSchema = z.looseObject({
  /** The inner algorithm for new conversations (and when the sticky model must be left). */
  fallback_method: z.string().min(1).default('static'),
  /** Request header carrying the client's session id; without it, the conversation's opening is hashed. */
  session_header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'a header name: letters, digits and dashes')
    .default(DEFAULT_SESSION_HEADER),
  /** How long an idle conversation keeps its model (peer: idle_timeout_seconds, default 300). */
  idle_timeout_seconds: z.number().positive().default(300),
});

const OWN_KEYS = new Set(['fallback_method', 'session_header', 'idle_timeout_seconds']);

/** The peer's stay-vs-switch scoring knobs: this router always stays while the model can serve, so none applies. */
const PEER_SWITCH_KNOBS = new Set([
  'min_turns_before_switch',
  'switch_margin',
  'stay_bias',
  'tool_loop_hard_lock',
  'tool_loop_stay_bias',
  'prefix_cache_weight',
  'handoff_penalty_weight',
  'default_handoff_penalty',
  'quality_gap_multiplier',
  'max_cache_cost_multiplier',
  'switch_history_weight',
  'context_portability_weight',
  'min_switch_context_portability',
  'provider_state_penalty',
  'provider_state_hard_lock',
]);

/** The schema parses the inner algorithm's config too, so its mistakes are load errors with their path. */
function configSchema(lookup: AlgorithmLookup): z.ZodType<SessionAwareConfig> {
  return rawSchema.transform((raw, ctx): SessionAwareConfig => {
    const fallbackMethod = raw.fallback_method;
    for (const key of Object.keys(raw)) {
      if (OWN_KEYS.has(key) || key === fallbackMethod) continue;
      ctx.issues.push({
        code: 'custom',
        input: raw[key],
        path: [key],
        message: PEER_SWITCH_KNOBS.has(key)
          ? `${key} is not supported: session_aware here always keeps a conversation on its model while a pool of it can serve and the conversation fits (no score-based switching)`
          : `unknown session_aware field '${key}' (fields: ${[...OWN_KEYS].join(', ')}, and the fallback's own config under its name)`,
      });
    }
    const inner = fallbackMethod === 'session_aware' ? undefined : lookup(fallbackMethod);
    const placeholder: SessionAwareConfig = {
      fallbackMethod,
      fallback: { algorithm: fallbackMethod, select: (c) => ({ candidate: c[0] as never }) },
      sessionHeader: raw.session_header,
      idleTimeoutMs: raw.idle_timeout_seconds * 1000,
    };
    if (!inner) {
      ctx.issues.push({
        code: 'custom',
        input: fallbackMethod,
        path: ['fallback_method'],
        message:
          fallbackMethod === 'session_aware'
            ? 'session_aware cannot fall back to itself'
            : `fallback_method '${fallbackMethod}' is not a supported selection algorithm`,
      });
      return placeholder;
    }
    const nested = raw[fallbackMethod];
    const parsed = (inner.configSchema as z.ZodType<unknown>).safeParse(
      typeof nested === 'object' && nested !== null ? nested : {},
    );
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.issues.push({ ...issue, path: [fallbackMethod, ...issue.path] } as (typeof ctx.issues)[number]);
      return placeholder;
    }
    return { ...placeholder, fallback: inner.create(parsed.data as never, undefined as never) };
  }) as unknown as z.ZodType<SessionAwareConfig>;
}

function sessionSelector(config: SessionAwareConfig): ModelSelector {
  const keyOf = (context: SelectionContext, conversation: string) =>
    `session:${context.decision}:${conversation}`;

  async function remember(context: SelectionContext, key: string, affinity: Affinity): Promise<void> {
    try {
      await context.store.set(key, JSON.stringify(affinity), config.idleTimeoutMs);
    } catch {
      // A store that is away costs this conversation its stickiness, never the request.
    }
  }

  async function viaFallback<C extends ModelCandidate>(
    candidates: readonly C[],
    context: SelectionContext,
    why: string,
    key: string | undefined,
    turns: number,
  ): Promise<Selection<C>> {
    const pending = config.fallback.select(candidates, context);
    const inner = pending instanceof Promise ? await pending : pending;
    if (key !== undefined) await remember(context, key, { model: inner.candidate.model, turns });
    const memo: SessionMemo = { inner: { memo: inner.memo } };
    return {
      candidate: inner.candidate,
      ...(inner.scores && { scores: inner.scores }),
      reason: `${why}: ${config.fallbackMethod}${inner.reason ? ` (${inner.reason})` : ''}`,
      memo,
    };
  }

  return {
    algorithm: 'session_aware',
    async select<C extends ModelCandidate>(
      candidates: readonly C[],
      context: SelectionContext,
    ): Promise<Selection<C>> {
      const conversation = conversationKey(context.request, config.sessionHeader);
      if (conversation === undefined) return viaFallback(candidates, context, 'no session', undefined, 0);
      const key = keyOf(context, conversation);
      let affinity: Affinity | undefined;
      try {
        affinity = parseAffinity(await context.store.get(key));
      } catch {
        return viaFallback(candidates, context, 'session store unavailable', undefined, 0);
      }
      if (!affinity) return viaFallback(candidates, context, 'new session', key, 1);
      const sticky = candidates.find((c) => c.model === affinity.model);
      if (!sticky)
        return viaFallback(
          candidates,
          context,
          `left ${affinity.model}: not a candidate here`,
          key,
          affinity.turns + 1,
        );
      const model = context.models.get(sticky.model);
      const leave = unavailableReason(model, context) ?? contextMisfitReason(model, context);
      if (leave) {
        const others = candidates.filter((c) => c !== sticky);
        if (others.length > 0)
          return viaFallback(others, context, `left ${sticky.model}: ${leave}`, key, affinity.turns + 1);
      }
      const turns = affinity.turns + 1;
      await remember(context, key, { model: sticky.model, turns });
      const scores: CandidateScore[] = candidates.map((c) =>
        c === sticky ? { model: c.model, score: 1, parts: { turn: turns } } : { model: c.model, score: 0 },
      );
      return {
        candidate: sticky,
        scores,
        // No other candidate to move to: stay, and say what is wrong (pool choice reports it to the client).
        reason: `session affinity (turn ${turns})${leave ? `; ${leave}, no other candidate` : ''}`,
        memo: {} satisfies SessionMemo,
      };
    },
    observe(outcome: SelectionOutcome) {
      const memo = outcome.memo as SessionMemo | undefined;
      if (!memo?.inner || !config.fallback.observe) return;
      return config.fallback.observe({ ...outcome, memo: memo.inner.memo });
    },
  };
}

/** The definition needs the registry (for `fallback_method`); model-selector.ts passes its own lookup. */
export function sessionAwareSelection(lookup: AlgorithmLookup): SelectionAlgorithm<SessionAwareConfig> {
  return {
    name: 'session_aware',
    configSchema: configSchema(lookup),
    create: (config) => sessionSelector(config),
  };
}
