// `conversation` family: count / exists over messages by role, tool definitions, tool calls and results, images.
import { describe, expect, it } from 'vitest';
import { conversationFamily } from '../../../src/signals/conversation.ts';
import type { SignalMatch } from '../../../src/signals/signal-family.ts';
import { type ContextInput, contextFor } from '../../helpers/request-context.ts';
import { evaluateFamily } from '../../helpers/signal-family.ts';

function evaluate(raw: readonly unknown[], input: ContextInput): readonly SignalMatch[] {
  return evaluateFamily(conversationFamily, raw, contextFor(input));
}

const user = (content: unknown = 'hi') => ({ role: 'user', content });
const assistant = (toolCalls = 0) => ({
  role: 'assistant',
  content: toolCalls ? null : 'ok',
  ...(toolCalls && {
    tool_calls: Array.from({ length: toolCalls }, (_, i) => ({
      id: `call_${i}`,
      type: 'function',
      function: { name: 'lookup', arguments: '{}' },
    })),
  }),
});
const toolResult = (id = 'call_0') => ({ role: 'tool', tool_call_id: id, content: '42' });
const system = { role: 'system', content: 'be brief' };
const developer = { role: 'developer', content: 'be precise' };
const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object' } } });
const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };

/** Measures one feature with the predicate `{gte: n}` for n = 0…6 and returns the largest n that matched. */
function measured(source: Record<string, unknown>, input: ContextInput): number {
  const raw = Array.from({ length: 7 }, (_, n) => ({
    name: String(n),
    feature: { type: 'count', source },
    predicate: { gte: n },
  }));
  return Math.max(...evaluate(raw, input).map((m) => Number(m.name)));
}

const agentLoop: ContextInput = {
  messages: [
    system,
    user('weather in Paris and Rome?'),
    assistant(2),
    toolResult('call_0'),
    toolResult('call_1'),
  ],
  tools: [tool('lookup'), tool('search'), tool('calc')],
};

describe('conversation: counted values', () => {
  it.each([
    ['every message', { type: 'message' }, agentLoop, 5],
    ['user messages', { type: 'message', role: 'user' }, agentLoop, 1],
    ['assistant messages', { type: 'message', role: 'assistant' }, agentLoop, 1],
    ['system messages', { type: 'message', role: 'system' }, agentLoop, 1],
    ['tool messages', { type: 'message', role: 'tool' }, agentLoop, 2],
    ['non_user messages', { type: 'message', role: 'non_user' }, agentLoop, 4],
    ['developer messages', { type: 'message', role: 'developer' }, { messages: [developer, user()] }, 1],
    ['tool definitions', { type: 'tool_definition' }, agentLoop, 3],
    ['no tool definitions', { type: 'tool_definition' }, { messages: [user()] }, 0],
    ['assistant tool calls', { type: 'assistant_tool_call' }, agentLoop, 2],
    [
      'assistant tool calls across turns',
      { type: 'assistant_tool_call' },
      { messages: [user(), assistant(2), toolResult(), toolResult(), assistant(1), toolResult(), user()] },
      3,
    ],
    ['tool results (assistant_tool_cycle)', { type: 'assistant_tool_cycle' }, agentLoop, 2],
    ['active tool loop: last message is a tool result', { type: 'active_tool_loop' }, agentLoop, 1],
    [
      'no active tool loop in plain chat',
      { type: 'active_tool_loop' },
      { messages: [user(), assistant(), user()] },
      0,
    ],
    [
      'images in multi-part user content',
      { type: 'image_content' },
      { messages: [user([{ type: 'text', text: 'compare' }, image, image]), assistant(), user([image])] },
      3,
    ],
    [
      'no images in text content',
      { type: 'image_content' },
      { messages: [user('an image_url, literally')] },
      0,
    ],
  ])('%s', (_label, source, input, expected) => {
    expect(measured(source, input)).toBe(expected);
  });
});

describe('conversation: rules', () => {
  const policy = [
    {
      name: 'multi_turn',
      feature: { type: 'count', source: { type: 'message', role: 'user' } },
      predicate: { gte: 2 },
    },
    { name: 'has_system', feature: { type: 'exists', source: { type: 'message', role: 'system' } } },
    {
      name: 'agentic',
      feature: { type: 'count', source: { type: 'tool_definition' } },
      predicate: { gte: 2 },
    },
    { name: 'tool_loop', feature: { type: 'exists', source: { type: 'active_tool_loop' } } },
    { name: 'vision', feature: { type: 'exists', source: { type: 'image_content' } } },
    {
      name: 'short_chat',
      feature: { type: 'count', source: { type: 'message' } },
      predicate: { lt: 3 },
    },
  ];

  it.each([
    ['single question', { messages: [user()] }, ['short_chat']],
    ['follow-up question', { messages: [user(), assistant(), user()] }, ['multi_turn']],
    ['system prompt and one question', { messages: [system, user()] }, ['has_system', 'short_chat']],
    ['agent loop', agentLoop, ['has_system', 'agentic', 'tool_loop']],
    ['one tool is not agentic', { messages: [user()], tools: [tool('a')] }, ['short_chat']],
    [
      'image question',
      { messages: [user([image, { type: 'text', text: 'what is this?' }])] },
      ['vision', 'short_chat'],
    ],
  ])('%s', (_label, input, expected) => {
    expect(evaluate(policy, input).map((m) => m.name)).toEqual(expected);
  });

  it('explains a match with the measured value', () => {
    const [match] = evaluate([policy[2]], agentLoop);
    expect(match).toEqual({ name: 'agentic', confidence: 1, detail: 'tool_definition=3', value: 3 });
  });
});
