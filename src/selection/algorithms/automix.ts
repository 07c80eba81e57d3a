// `automix`: a cost cascade across turns. A conversation starts on the cheapest candidate whose answers have been
// passing; it moves one rung up the ladder on the next turn after an answer the response stage flagged, or when the
// client retries the same request. What the AutoMix paper does inside one request — the small model's answer checked
// by a second model call, and held back until checked — an ext_proc router cannot do (see docs/selection.md).
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
import { expectedCost, round, unavailableReason } from './candidate-facts.ts';
import { conversationFingerprint, conversationKey, DEFAULT_SESSION_HEADER } from './conversation-key.ts';

/** Answers a model needs before its pass share is trusted to skip it as a starting rung. */
export const VERIFICATION_MIN_SAMPLES = 10;

function unsupported(reason: string) {
  return z
    .unknown()
    .optional()
    .refine((value) => value === undefined || value === false, { message: reason });
}

const SECOND_CALL =
  'needs a second model call (self-verification) inside the request, which an ext_proc router cannot make';

/** The peer's POMDP and logprob knobs: its per-request value model, which the turn-by-turn ladder replaces. */
const AUTOMIX_INERT_FIELDS: ReadonlyMap<string, string> = new Map([
  [
    'use_logprob_verification',
    'the answer would have to be held back until its logprobs are judged; the router streams answers through, and escalation happens on the next turn or a client retry',
  ],
  [
    'cost_quality_tradeoff',
    "it tunes the peer's per-request POMDP value; here the ladder and turn-by-turn escalation decide (cost_aware_routing orders the ladder)",
  ],
  [
    'discount_factor',
    "it tunes the peer's per-request POMDP value; here the ladder and turn-by-turn escalation decide",
  ],
]);

export const automixConfigSchema = z.strictObject({
  /** A model starts conversations only while at least this share of its answers passed (0..1). */
  verification_threshold: z.number().min(0).max(1).default(0.7),
  /** Rungs a conversation may climb. */
  max_escalations: z.int().min(0).default(2),
  /** true: the ladder runs from the cheapest expected cost up; false: in the decision's modelRefs order. */
  cost_aware_routing: z.boolean().default(true),
  session_header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'a header name: letters, digits and dashes')
    .default(DEFAULT_SESSION_HEADER),
  /** The same conversation sent again within this many seconds counts as a client retry. */
  retry_window_seconds: z.number().positive().default(120),
  /** How long a conversation's rung is kept without a new turn. */
  idle_timeout_seconds: z.number().positive().default(1800),
  enable_self_verification: unsupported(`enable_self_verification ${SECOND_CALL}`),
  verifier_server_url: unsupported(`verifier_server_url ${SECOND_CALL}`),
  verification_samples: unsupported(`verification_samples ${SECOND_CALL}`),
  enable_cascade: unsupported(
    'enable_cascade re-asks a larger model within one request, which an ext_proc router cannot do; escalation here happens on the next turn or a client retry',
  ),
});

export type AutomixConfig = z.infer<typeof automixConfigSchema>;

/** One conversation's place on the ladder. */
interface Rung {
  readonly level: number;
  readonly escalations: number;
  /** The previous answer was flagged (failed, or an error status). */
  readonly flagged: boolean;
  readonly fingerprint: string;
  readonly at: number;
}

interface AutomixMemo {
  readonly key: string;
}

function parseRung(raw: string | undefined): Rung | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Rung>;
    if (typeof value.level !== 'number' || typeof value.escalations !== 'number') return undefined;
    return {
      level: value.level,
      escalations: value.escalations,
      flagged: value.flagged === true,
      fingerprint: typeof value.fingerprint === 'string' ? value.fingerprint : '',
      at: typeof value.at === 'number' ? value.at : 0,
    };
  } catch {
    return undefined;
  }
}

/**
 * An answer worth escalating from: the pool failed it, it came back with an error status, it was cut off by the
 * token limit or filtered, or it ended normally with no output (a usage report of 0 completion tokens).
 */
export function flaggedAnswer(
  outcome: Pick<SelectionOutcome, 'failed' | 'status' | 'finishReason' | 'completionTokens'>,
): boolean {
  if (outcome.failed || outcome.status === undefined || outcome.status >= 400) return true;
  if (outcome.finishReason === 'length' || outcome.finishReason === 'content_filter') return true;
  return outcome.finishReason === 'stop' && outcome.completionTokens === 0;
}

export function automixSelection(now: () => number = Date.now): SelectionAlgorithm<AutomixConfig> {
  return {
    name: 'automix',
    configSchema: automixConfigSchema as z.ZodType<AutomixConfig>,
    inertFields: AUTOMIX_INERT_FIELDS,
    create: (config): ModelSelector => {
      const rungKey = (context: SelectionContext, conversation: string) =>
        `automix:${context.decision}:${conversation}`;
      const passKey = (decision: string, model: string) => `automix-pass:${decision}:${model}`;

      /** The candidates from cheapest (or first) to strongest. */
      function ladder<C extends ModelCandidate>(candidates: readonly C[], context: SelectionContext): C[] {
        if (!config.cost_aware_routing) return [...candidates];
        const facts = candidates.map((candidate, index) => {
          const model = context.models.get(candidate.model);
          return {
            candidate,
            index,
            cost: expectedCost(model, context) ?? Number.POSITIVE_INFINITY,
            quality: model?.quality ?? 0,
          };
        });
        facts.sort((a, b) => a.cost - b.cost || a.quality - b.quality || a.index - b.index);
        return facts.map((f) => f.candidate);
      }

      async function passShare(context: SelectionContext, model: string): Promise<number | undefined> {
        try {
          const fields = await context.store.readFields(passKey(context.decision, model));
          const total = fields.total ?? 0;
          return total < VERIFICATION_MIN_SAMPLES ? undefined : (fields.passed ?? 0) / total;
        } catch {
          return undefined;
        }
      }

      return {
        algorithm: 'automix',
        async select<C extends ModelCandidate>(
          candidates: readonly C[],
          context: SelectionContext,
        ): Promise<Selection<C>> {
          const rungs = ladder(candidates, context);
          const shares = await Promise.all(rungs.map((c) => passShare(context, c.model)));
          const unavailable = rungs.map((c) => unavailableReason(context.models.get(c.model), context));
          // The starting rung: the cheapest whose answers pass often enough (unknown counts as passing).
          let start = shares.findIndex(
            (share) => share === undefined || share >= config.verification_threshold,
          );
          if (start < 0) start = rungs.length - 1;

          const conversation = conversationKey(context.request, config.session_header);
          const fingerprint = conversationFingerprint(context.request);
          const key = conversation === undefined ? undefined : rungKey(context, conversation);
          let previous: Rung | undefined;
          if (key !== undefined) {
            try {
              previous = parseRung(await context.store.get(key));
            } catch {
              previous = undefined;
            }
          }
          let level = Math.max(start, previous?.level ?? start);
          let escalations = previous?.escalations ?? 0;
          let reason = previous
            ? `stays on rung ${level + 1}`
            : `starts on rung ${start + 1} of ${rungs.length}`;
          const retry =
            previous !== undefined &&
            previous.fingerprint === fingerprint &&
            now() - previous.at <= config.retry_window_seconds * 1000;
          if (previous && (previous.flagged || retry)) {
            if (escalations < config.max_escalations && level < rungs.length - 1) {
              level++;
              escalations++;
              reason = `escalated to rung ${level + 1}: ${previous.flagged ? 'previous answer flagged' : 'client retry'}`;
            } else {
              reason = `${previous.flagged ? 'previous answer flagged' : 'client retry'}, no escalation left`;
            }
          }
          // A rung whose every pool is unavailable: the next stronger one that can serve, else the next weaker.
          let chosen = level;
          if (unavailable[chosen] !== undefined) {
            const up = unavailable.findIndex((u, i) => i > level && u === undefined);
            const down = unavailable.findLastIndex((u, i) => i < level && u === undefined);
            chosen = up >= 0 ? up : down >= 0 ? down : level;
            if (chosen !== level) reason += `; rung ${level + 1} unavailable`;
          }
          if (key !== undefined) {
            const rung: Rung = { level, escalations, flagged: false, fingerprint, at: now() };
            try {
              await context.store.set(key, JSON.stringify(rung), config.idle_timeout_seconds * 1000);
            } catch {
              reason += '; store unavailable';
            }
          }
          const scores: CandidateScore[] = candidates.map((c) => {
            const rank = rungs.indexOf(c);
            const share = shares[rank];
            const excluded = unavailable[rank];
            return {
              model: c.model,
              // Higher rung, higher score: the explain view reads the ladder top-down.
              score: rank + 1,
              parts: { rung: rank + 1, ...(share !== undefined && { pass_share: round(share) }) },
              ...(excluded !== undefined && { excluded }),
            };
          });
          const memo: AutomixMemo | undefined = key === undefined ? undefined : { key };
          return { candidate: rungs[chosen] as C, scores, reason, ...(memo && { memo }) };
        },
        async observe(outcome: SelectionOutcome): Promise<void> {
          const flagged = flaggedAnswer(outcome);
          try {
            await outcome.store.incrementFields(passKey(outcome.decision, outcome.model), {
              total: 1,
              passed: flagged ? 0 : 1,
            });
            const memo = outcome.memo as AutomixMemo | undefined;
            if (!flagged || !memo?.key) return;
            const rung = parseRung(await outcome.store.get(memo.key));
            if (rung)
              await outcome.store.set(
                memo.key,
                JSON.stringify({ ...rung, flagged: true }),
                config.idle_timeout_seconds * 1000,
              );
          } catch {
            // Learning is best effort: a store that is away never fails the answer.
          }
        },
      };
    },
  };
}
