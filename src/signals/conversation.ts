// `conversation` family: predicates over the shape of the conversation (messages by role, tools, tool calls, images).
import { z } from 'zod';
import type { RequestContext } from '../request/request-context.ts';
import { numericPredicateSchema, testPredicate } from './numeric-predicate.ts';
import { defineSignalFamily, type SignalMatch } from './signal-family.ts';

const conversationRuleSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    feature: z.strictObject({
      type: z.enum(['count', 'exists']),
      source: z.strictObject({
        type: z.enum([
          'message',
          'tool_definition',
          'assistant_tool_call',
          'assistant_tool_cycle',
          'active_tool_loop',
          'image_content',
        ]),
        /** For `message`: user, assistant, system, developer, tool, non_user; empty = every message. */
        role: z.enum(['user', 'assistant', 'system', 'developer', 'tool', 'non_user']).optional(),
      }),
    }),
    predicate: numericPredicateSchema.optional(),
  })
  .refine((r) => r.feature.type !== 'count' || r.predicate !== undefined, {
    message: '`count` needs a predicate such as {gte: 10}',
    path: ['predicate'],
  })
  .refine((r) => r.feature.type !== 'exists' || r.predicate === undefined, {
    message: '`exists` takes no predicate',
    path: ['predicate'],
  });

export type ConversationRule = z.infer<typeof conversationRuleSchema>;

function measure(rule: ConversationRule, context: RequestContext): number {
  const { messages, toolCount } = context.request;
  const { source } = rule.feature;
  switch (source.type) {
    case 'message':
      return messages.filter((m) =>
        source.role === undefined
          ? true
          : source.role === 'non_user'
            ? m.role !== 'user'
            : m.role === source.role,
      ).length;
    case 'tool_definition':
      return toolCount;
    case 'assistant_tool_call':
      return messages.reduce((n, m) => n + (m.role === 'assistant' ? m.toolCallCount : 0), 0);
    case 'assistant_tool_cycle':
      return messages.filter((m) => m.role === 'tool').length;
    case 'active_tool_loop':
      // The client is in the middle of a tool loop when the latest message is a tool result.
      return messages.at(-1)?.role === 'tool' ? 1 : 0;
    case 'image_content':
      return messages.reduce((n, m) => n + m.imageCount, 0);
  }
}

export const conversationFamily = defineSignalFamily<ConversationRule>({
  family: 'conversation',
  conditionType: 'conversation',
  ruleSchema: conversationRuleSchema,
  create(rules) {
    return {
      evaluate(context) {
        const matches: SignalMatch[] = [];
        for (const rule of rules) {
          const value = measure(rule, context);
          const hit = rule.feature.type === 'exists' ? value > 0 : testPredicate(rule.predicate ?? {}, value);
          if (hit)
            matches.push({
              name: rule.name,
              confidence: 1,
              detail: `${rule.feature.source.type}=${value}`,
              value,
            });
        }
        return matches;
      },
    };
  },
});
