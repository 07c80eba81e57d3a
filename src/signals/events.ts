// `events` family (condition type `event`), vLLM Semantic Router's event rules: event types, severities, action
// codes and urgency markers found in the last user message (alerts, incident payloads, structured logs). A rule
// matches when any of its criteria holds; confidence = 0.5 + 0.5 × the share of its criteria that hold.
import { z } from 'zod';
import { defineSignalFamily, type RuleProblem, type SignalMatch } from './signal-family.ts';

/** The severity words the peer recognises; other values are dropped from a rule (with a policy warning). */
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** Urgency words of incident and alert payloads (the peer's temporal markers; `.` is any character). */
const TEMPORAL_MARKERS = /\b(urgent|immediate|asap|deadline|time.sensitive|now|critical.window)\b/i;

const eventRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  event_types: z.array(z.string()).default([]),
  severities: z.array(z.string()).default([]),
  action_codes: z.array(z.string()).default([]),
  /** Also count an urgency marker (urgent, asap, deadline, …) as a criterion. */
  temporal: z.boolean().default(false),
});

export type EventRule = z.infer<typeof eventRuleSchema>;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A whole-word, case-insensitive pattern per non-blank term (a blank term would match everywhere). */
function wordPatterns(terms: readonly string[]): RegExp[] {
  return terms
    .map((term) => term.trim())
    .filter((term) => term.length > 0)
    .map((term) => new RegExp(`\\b${escapeRegExp(term)}\\b`, 'i'));
}

const SEVERITY_PATTERNS: ReadonlyMap<string, RegExp> = new Map(
  SEVERITIES.map((s) => [s, new RegExp(`\\b${s}\\b`, 'i')]),
);

interface CompiledEventRule {
  readonly name: string;
  readonly eventTypes: readonly RegExp[];
  readonly severities: readonly RegExp[];
  readonly actionCodes: readonly RegExp[];
  readonly temporal: boolean;
}

/** Criteria of a rule that hold in `text`, out of those it configures. */
export function eventCriteria(rule: CompiledEventRule, text: string): { held: number; configured: number } {
  let held = 0;
  let configured = 0;
  for (const patterns of [rule.eventTypes, rule.severities, rule.actionCodes]) {
    if (patterns.length === 0) continue;
    configured += 1;
    if (patterns.some((p) => p.test(text))) held += 1;
  }
  if (rule.temporal) {
    configured += 1;
    if (TEMPORAL_MARKERS.test(text)) held += 1;
  }
  return { held, configured };
}

export const eventsFamily = defineSignalFamily<EventRule>({
  family: 'events',
  conditionType: 'event',
  ruleSchema: eventRuleSchema,
  create(rules) {
    const warnings: RuleProblem[] = [];
    const compiled: CompiledEventRule[] = rules.map((rule, ruleIndex) => {
      const severities: RegExp[] = [];
      rule.severities.forEach((raw, i) => {
        const pattern = SEVERITY_PATTERNS.get(raw.trim().toLowerCase());
        if (pattern) severities.push(pattern);
        else
          warnings.push({
            ruleIndex,
            path: `severities.${i}`,
            message: `severity '${raw}' is not one of ${SEVERITIES.join(', ')} and never matches`,
            hint: `use ${SEVERITIES.join(', ')}`,
          });
      });
      const eventTypes = wordPatterns(rule.event_types);
      const actionCodes = wordPatterns(rule.action_codes);
      if (eventTypes.length + severities.length + actionCodes.length === 0 && !rule.temporal)
        warnings.push({
          ruleIndex,
          path: '',
          message: `event rule '${rule.name}' configures no criterion and never matches`,
          hint: 'list event_types, severities or action_codes, or set temporal: true',
        });
      return { name: rule.name, eventTypes, severities, actionCodes, temporal: rule.temporal };
    });
    return {
      warnings,
      evaluate(context) {
        const text = context.lastUserText;
        const matches: SignalMatch[] = [];
        for (const rule of compiled) {
          const { held, configured } = eventCriteria(rule, text);
          if (configured === 0 || held === 0) continue;
          matches.push({
            name: rule.name,
            confidence: 0.5 + (0.5 * held) / configured,
            detail: `${held}/${configured} criteria`,
          });
        }
        return matches;
      },
    };
  },
});
