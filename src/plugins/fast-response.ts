// `fast_response`: answer with a canned message (no GPU time), in the request API's message shape (SSE if streamed).
import { z } from 'zod';
import { type PluginDefinition, plugin } from './plugin.ts';

const configSchema = z.object({ message: z.string().min(1) }).loose();

export const fastResponsePlugin: PluginDefinition<z.infer<typeof configSchema>> = {
  name: 'fast_response',
  configSchema,
  create: ({ message }) =>
    plugin('fast_response', {
      onRequest: () => ({ kind: 'respond', responsePath: 'fast_response', status: 200, message }),
    }),
};
