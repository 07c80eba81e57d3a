// `events` family: vLLM Semantic Router's event rules over the last user message — event types, severities,
// action codes and urgency markers, any one enough, confidence growing with the share that holds.

import { describe, expect, it } from 'vitest';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { eventsFamily } from '../../../src/signals/events.ts';
import { peerSignalRules, signalRulesPolicy } from '../../helpers/peer-fragment.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

const PAYMENT = {
  name: 'critical_payment_event',
  event_types: ['payment_failed', 'transaction_declined'],
  severities: ['critical', 'high'],
  action_codes: ['TXN_DECLINE'],
  temporal: true,
};

function confidenceOf(rule: Record<string, unknown>, prompt: string): number | undefined {
  return evaluateFamily(eventsFamily, [rule], contextFor(prompt))[0]?.confidence;
}

describe('events', () => {
  it.each([
    ['all four criteria', 'CRITICAL: payment_failed with code TXN_DECLINE, fix it now', 1],
    ['event type only', 'we saw a payment_failed entry in the log', 0.625],
    ['event type and severity', 'high severity transaction_declined alert', 0.75],
    ['action code, case-insensitive', 'code txn_decline returned', 0.625],
    ['nothing', 'how do I bake bread?', undefined],
    ['an event type inside a longer word does not count', 'xpayment_failedx', undefined],
  ])('%s', (_, prompt, expected) => {
    expect(confidenceOf(PAYMENT, prompt)).toBe(expected);
  });

  it('a temporal-only rule matches urgency words', () => {
    expect(confidenceOf({ name: 't', temporal: true }, 'please answer asap')).toBe(1);
    expect(confidenceOf({ name: 't', temporal: true }, 'whenever you like')).toBeUndefined();
  });

  it('warns about a severity it does not know and a rule with no criterion', () => {
    const evaluator = eventsFamily.create(
      [
        eventsFamily.ruleSchema.parse({ name: 'a', severities: ['sev1'] }),
        eventsFamily.ruleSchema.parse({ name: 'b', event_types: ['x'] }),
      ],
      { policyDir: '.' },
    );
    const warnings = 'then' in evaluator ? [] : (evaluator.warnings ?? []);
    expect(warnings.map((w) => w.message)).toEqual([
      "severity 'sev1' is not one of critical, high, medium, low and never matches",
      "event rule 'a' configures no criterion and never matches",
    ]);
  });
});

it("the peer's event fragment loads and routes an incident payload", async () => {
  const rules = peerSignalRules('signal/event/payment-critical.yaml', 'events');
  const policy = await compilePolicyText(
    signalRulesPolicy('events', rules, [
      {
        name: 'incident',
        rules: { operator: 'OR', conditions: [{ type: 'event', name: rules[0]?.name }] },
        modelRefs: [{ model: 'm' }],
      },
    ]),
    'payment-critical.yaml',
  );
  try {
    const report = await policy.signals.evaluate(
      contextFor('ALERT critical: transaction_declined for order 7'),
    );
    expect(report.matches.get('event:critical_payment_event')?.confidence).toBe(0.75);
  } finally {
    policy.close();
  }
});
