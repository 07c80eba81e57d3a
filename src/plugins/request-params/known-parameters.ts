// The request parameters each API defines (OpenAI's and Anthropic's references), plus the vLLM extensions the router
// itself writes or vLLM documents for every API. `request_params.strip_unknown` drops every other top-level field.
import type { LlmApi } from '../../request/apis/index.ts';

/** vLLM sampling and template extensions accepted on every OpenAI-compatible endpoint. */
const VLLM_EXTENSIONS = ['chat_template_kwargs', 'top_k', 'min_p', 'repetition_penalty'];

const CHAT_COMPLETIONS = [
  'model',
  'messages',
  'audio',
  'frequency_penalty',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'metadata',
  'modalities',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt_cache_key',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
];

const COMPLETIONS = [
  'model',
  'prompt',
  'best_of',
  'echo',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'max_tokens',
  'n',
  'presence_penalty',
  'seed',
  'stop',
  'stream',
  'stream_options',
  'suffix',
  'temperature',
  'top_p',
  'user',
];

const RESPONSES = [
  'model',
  'input',
  'instructions',
  'background',
  'conversation',
  'include',
  'max_output_tokens',
  'max_tool_calls',
  'metadata',
  'parallel_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
];

const MESSAGES = [
  'model',
  'messages',
  'max_tokens',
  'container',
  'mcp_servers',
  'metadata',
  'service_tier',
  'stop_sequences',
  'stream',
  'system',
  'temperature',
  'thinking',
  'tool_choice',
  'tools',
  'top_k',
  'top_p',
];

export const KNOWN_PARAMETERS: Readonly<Record<LlmApi, ReadonlySet<string>>> = {
  chat_completions: new Set([...CHAT_COMPLETIONS, ...VLLM_EXTENSIONS]),
  completions: new Set([...COMPLETIONS, ...VLLM_EXTENSIONS]),
  responses: new Set([...RESPONSES, ...VLLM_EXTENSIONS]),
  messages: new Set([...MESSAGES, ...VLLM_EXTENSIONS]),
};

/** The output-token caps of each API; the first is the one set when the client sent none. */
export const OUTPUT_TOKEN_FIELDS: Readonly<Record<LlmApi, readonly string[]>> = {
  chat_completions: ['max_tokens', 'max_completion_tokens'],
  completions: ['max_tokens'],
  responses: ['max_output_tokens'],
  messages: ['max_tokens'],
};

/** How many choices an API may ask for in one request (`best_of` generates that many server-side). */
export const CHOICE_COUNT_FIELDS: Readonly<Record<LlmApi, readonly string[]>> = {
  chat_completions: ['n'],
  completions: ['n', 'best_of'],
  responses: [],
  messages: [],
};

/** Fields without which the request means nothing: never blockable. */
export const ESSENTIAL_PARAMETERS: ReadonlySet<string> = new Set(['model', 'messages', 'prompt', 'input']);
