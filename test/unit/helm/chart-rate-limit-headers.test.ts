// The chart's Envoy removes client-sent copies of the headers the policy's rate limits (and the cache scope) key on,
// so a client cannot pick its own bucket; a policy keying on a header the chart does not remove fails to render.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IDENTITY_HEADERS,
  decodeBootstrap,
  ENVOY_FILTER,
  expectHeaderSanitizer,
  httpFilterConfig,
} from '../../helpers/envoy-bootstrap-checks.ts';
import { helmTemplate, helmTemplateError, type Rendered } from '../../helpers/helm.ts';

function removedHeaders(rendered: Rendered, rateLimitKeys: readonly string[]): string[] {
  const text = (rendered.get('ConfigMap', '-envoy') as { data?: Record<string, unknown> }).data?.[
    'envoy.yaml'
  ];
  if (typeof text !== 'string') throw new Error('no envoy.yaml in the Envoy ConfigMap');
  const mutation = httpFilterConfig(decodeBootstrap(text), ENVOY_FILTER.headerMutation);
  return expectHeaderSanitizer(mutation, DEFAULT_IDENTITY_HEADERS, rateLimitKeys);
}

// The standalone example renders its own policy document, so its rate_limits are checked at render time.
const valuesFiles = ['examples/standalone-envoy.yaml'];
const keyedOn = (tenantHeader: string) => ({
  'policy.document.rate_limits': {
    tenant_header: tenantHeader,
    limits: [{ name: 'per-tenant', key: 'tenant', requests_per_window: 10, window_seconds: 60 }],
  },
});

describe('the chart strips client-sent rate-limit key headers', () => {
  it('removes x-tenant-id and x-user-id by default', () => {
    const removed = removedHeaders(helmTemplate(), ['x-tenant-id', 'x-user-id']);
    expect(new Set(removed).size).toBe(removed.length);
  });

  it('removes the headers of envoy.rateLimitKeyHeaders instead of the defaults', () => {
    const rendered = helmTemplate({
      valuesFiles,
      set: { ...keyedOn('x-org'), 'envoy.rateLimitKeyHeaders': ['x-org', 'x-user-id'] },
    });
    const removed = removedHeaders(rendered, ['x-org', 'x-user-id']);
    expect(removed).not.toContain('x-tenant-id');
  });

  it("fails when the policy's rate limits key on a header Envoy does not remove", () => {
    expect(helmTemplateError({ valuesFiles, set: keyedOn('x-org') })).toMatch(
      /rate_limits\.tenant_header is "x-org" but envoy\.rateLimitKeyHeaders does not list it/,
    );
  });
});
