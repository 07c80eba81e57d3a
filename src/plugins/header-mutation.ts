// `header_mutation` (vLLM Semantic Router's field names): add, update and delete headers of the upstream request for
// the requests a decision routes, e.g. a tenant tier header for the model server. The router's own routing and
// diagnostic headers, pseudo-headers and hop-by-hop headers cannot be set or removed.
import { z } from 'zod';
import { SPOOFABLE_HEADER_PREFIXES } from '../headers.ts';
import { type PluginDefinition, plugin } from './plugin.ts';

const PROTECTED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'keep-alive',
  'proxy-connection',
]);

const headerName = z
  .string()
  .min(1)
  .transform((name) => name.trim().toLowerCase())
  .refine((name) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name), 'must be a valid HTTP header name')
  .refine(
    (name) => !PROTECTED.has(name) && !SPOOFABLE_HEADER_PREFIXES.some((p) => name.startsWith(p)),
    'the router owns this header (x-selected-*, x-router-*, host, content-length, hop-by-hop headers)',
  );

/** CR, LF and NUL would split or end the header in transit. */
function hasLineBreakOrNul(value: string): boolean {
  return value.includes('\r') || value.includes('\n') || value.includes('\0');
}

const headerValue = z.string().refine((value) => !hasLineBreakOrNul(value), 'must not contain CR, LF or NUL');

const configSchema = z
  .object({
    add: z.array(z.strictObject({ name: headerName, value: headerValue })).default([]),
    update: z.array(z.strictObject({ name: headerName, value: headerValue })).default([]),
    delete: z.array(headerName).default([]),
  })
  .loose();

export const headerMutationPlugin: PluginDefinition<z.infer<typeof configSchema>> = {
  name: 'header_mutation',
  configSchema,
  create: (config) => {
    const setHeaders = [...config.add, ...config.update].map(({ name, value }) => [name, value] as const);
    return plugin('header_mutation', {
      onRequest: () => ({ kind: 'rewrite', setHeaders, removeHeaders: config.delete }),
    });
  },
};
