// `system_prompt`: insert or replace the system prompt, wherever the request's API carries it.
import { z } from 'zod';
import { llmApi } from '../request/apis/index.ts';
import { type PluginDefinition, plugin } from './plugin.ts';

const configSchema = z
  .object({ system_prompt: z.string().min(1), mode: z.enum(['replace', 'insert']).default('replace') })
  .loose();

export const systemPromptPlugin: PluginDefinition<z.infer<typeof configSchema>> = {
  name: 'system_prompt',
  configSchema,
  create: ({ system_prompt, mode }) =>
    plugin('system_prompt', {
      onRequest: ({ request }) => ({
        kind: 'rewrite',
        patchBody: (body) => llmApi(request.request.api).applySystemPrompt(body, system_prompt, mode),
      }),
    }),
};
