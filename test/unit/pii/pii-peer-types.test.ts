// vLLM Semantic Router's Presidio-style entity names load with one warning per rule; unknown names stay errors.
import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { contextFor } from '../../helpers/request-context.ts';
import { evaluate } from './pii-helpers.ts';

function policy(types: string): string {
  return `version: v1
default_model: small
pools:
  - name: l4-pool
    max_context_tokens: 32K
models:
  - name: small
    pools: [l4-pool]
routing:
  signals:
    pii:
      - { name: personal, pii_types: [${types}] }
  decisions:
    - name: private
      priority: 10
      rules: { operator: OR, conditions: [{ type: pii, name: personal }] }
      modelRefs: [{ model: small }]
`;
}

async function issuesOf(
  yaml: string,
): Promise<{ warnings: readonly PolicyIssue[]; errors: readonly PolicyIssue[] }> {
  try {
    const loaded = await compilePolicyText(yaml, 'policy.yaml');
    loaded.close();
    return { warnings: loaded.warnings, errors: [] };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { warnings: [], errors: error.issues };
  }
}

describe('pii_types with peer entity names', () => {
  it('loads DATE_TIME and ORGANIZATION next to detected types, with one warning naming only them', async () => {
    const { warnings, errors } = await issuesOf(policy('EMAIL_ADDRESS, DATE_TIME, URL, organization'));
    expect(errors).toEqual([]);
    const pii = warnings.filter((w) => w.path.startsWith('routing.signals.pii'));
    expect(pii).toEqual([
      expect.objectContaining({
        path: 'routing.signals.pii[0].pii_types',
        severity: 'warning',
        message: expect.stringMatching(/^PII types DATE_TIME, ORGANIZATION are accepted but never detected/),
      }),
    ]);
  });

  it('refuses a rule that lists only types it never detects (a guardrail doing nothing) unless allowed', async () => {
    const { errors } = await issuesOf(policy('ZIP_CODE'));
    expect(errors).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        message: expect.stringContaining('this rule never matches'),
        hint: expect.stringContaining('--allow-unsupported'),
      }),
    );
    const allowed = await compilePolicyText(policy('ZIP_CODE'), 'policy.yaml', { allowUnsupported: true });
    allowed.close();
    expect(allowed.warnings.map((w) => w.message)).toContainEqual(
      expect.stringContaining('this rule never matches; loaded anyway because of --allow-unsupported'),
    );
  });

  it('still matches the detected types of such a rule and never the accepted ones', async () => {
    const rule = { name: 'p', pii_types: ['EMAIL_ADDRESS', 'DATE_TIME'] };
    expect(await evaluate([rule], contextFor('Meet on 2024-05-01 at 10:00'))).toEqual([]);
    expect(await evaluate([rule], contextFor('Write to ana@example.org'))).toEqual([
      expect.objectContaining({ name: 'p', detail: 'EMAIL_ADDRESS×1' }),
    ]);
  });

  it('finds the opt-in types only for rules that name them', async () => {
    const ids = {
      name: 'ids',
      pii_types: ['US_PASSPORT', 'US_DRIVER_LICENSE', 'US_BANK_NUMBER', 'US_ITIN', 'URL'],
    };
    const everything = { name: 'everything', pii_types_allowed: ['IP_ADDRESS'] };
    const text =
      'Passport number XG9382049, driver’s license K932-778-3840, bank account 8721938475, ITIN 912-70-1234, see https://example.org/me.';
    const [match, ...others] = await evaluate([ids, everything], contextFor(text));
    expect(match).toEqual({
      name: 'ids',
      confidence: 1,
      detail: 'US_PASSPORT×1,US_DRIVER_LICENSE×1,US_BANK_NUMBER×1,US_ITIN×1,URL×1',
    });
    // The bank number also reads as a phone number to a rule that does not ask for bank numbers.
    expect(others).toEqual([
      expect.objectContaining({ name: 'everything', detail: expect.stringMatching(/^PHONE_NUMBER×\d$/) }),
    ]);
    expect(await evaluate([ids], contextFor('My passport expires in 2 weeks, see www.gov.uk'))).toEqual([
      expect.objectContaining({ detail: 'URL×1' }),
    ]);
  });

  it('rejects a name neither this router nor Presidio uses', async () => {
    const { errors } = await issuesOf(policy('SHOE_SIZE'));
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'routing.signals.pii[0].pii_types[0]',
        message: 'PII type SHOE_SIZE is not detected by this router',
      }),
    ]);
  });
});
