// `block`: refuse the request (403 by default) with the policy's message, in the request API's error shape.
import { z } from 'zod';
import { type PluginDefinition, plugin } from './plugin.ts';

const configSchema = z.strictObject({
  message: z.string().min(1).default('This request is not allowed by the routing policy'),
  status: z.number().int().min(400).max(599).default(403),
});

export const blockPlugin: PluginDefinition<z.infer<typeof configSchema>> = {
  name: 'block',
  configSchema,
  create: ({ message, status }) =>
    plugin('block', { onRequest: () => ({ kind: 'respond', responsePath: 'blocked', status, message }) }),
};
