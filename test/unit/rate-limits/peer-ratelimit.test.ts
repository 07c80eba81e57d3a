// The peer's `global.services.ratelimit` in a v0.3 file loads with one warning saying what to write instead; the
// warning names neither users nor the rate-limit service's address (warnings are logged).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyOrFragment } from '../../../src/policy/load-fragment.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';

const v03 = (services: string) => `version: v0.3
providers:
  models:
    - name: qwen3-32b
      backend_refs: [{ name: primary, endpoint: "10.0.0.1:8000" }]
global:
  services:
${services}
`;

const PEER_SECTION = `    ratelimit:
      fail_open: false
      providers:
        - { type: envoy-ratelimit, address: "ratelimit.default.svc.cluster.local:8081", domain: api }
        - type: local-limiter
          rules:
            - { name: per-user, match: { user: demo-user }, requests_per_unit: 10, unit: minute }`;

const ratelimitWarnings = (warnings: readonly { path?: string | undefined; message: string }[]) =>
  warnings.filter((w) => w.message.includes('global.services.ratelimit'));

describe("the peer's global.services.ratelimit", () => {
  it('loads with one warning naming the providers and what to write instead', async () => {
    const policy = await compilePolicyText(v03(PEER_SECTION), 'peer.yaml');
    const warnings = ratelimitWarnings(policy.warnings);
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings);
    expect(text).toContain("'envoy-ratelimit' provider, local-limiter (1 rule)");
    expect(text).toContain('rate_limits');
    expect(text).not.toContain('demo-user');
    expect(text).not.toContain('svc.cluster.local');
    expect(policy.rateLimits).toBeUndefined();
    policy.close();
  });

  it('says nothing when the section has no providers', async () => {
    const policy = await compilePolicyText(v03('    ratelimit: { fail_open: true }'), 'peer.yaml');
    expect(ratelimitWarnings(policy.warnings)).toHaveLength(0);
    policy.close();
  });

  it("warns once for the peer's own config.yaml", async () => {
    const loaded = await loadPolicyOrFragment(path.resolve('../shared/vsr-config/config.yaml'), {
      allowUnsupported: true,
    });
    loaded.policy.close();
    const warnings = ratelimitWarnings(loaded.policy.warnings);
    expect(warnings.map((w) => w.message)).toEqual([
      "global.services.ratelimit is not applied by this router: 'envoy-ratelimit' provider, local-limiter (2 rules) accepted without effect",
    ]);
  });
});
