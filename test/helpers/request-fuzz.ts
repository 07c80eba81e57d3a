// Fixed-seed generator of hostile request bodies for every LLM API, and the property each must satisfy: bytes →
// decodeJsonBody → parseLlmRequest either yields a ParsedRequest whose invariants hold or throws InvalidRequestError.
// Shared by test/unit/request/parser-fuzz.test.ts (a few thousand cases) and bench/fuzz-parsers.ts (many more).
import { InvalidRequestError } from '../../src/errors.ts';
import { LLM_APIS } from '../../src/request/apis/index.ts';
import type { LlmApi, ParsedRequest } from '../../src/request/apis/types.ts';
import { decodeJsonBody, parseLlmRequest } from '../../src/request/openai-request.ts';
import { seededRandom } from '../../src/seeded-random.ts';

export const FUZZ_APIS: readonly LlmApi[] = ['chat_completions', 'completions', 'responses', 'messages'];

/** Realistic requests per API (after the official docs' examples), the seeds that mutations start from. */
export const SEED_REQUESTS: Readonly<Record<LlmApi, readonly Record<string, unknown>[]>> = {
  chat_completions: [
    {
      model: 'auto',
      messages: [
        { role: 'developer', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello!' },
      ],
      max_completion_tokens: 256,
      metadata: { tier: 'gold' },
    },
    {
      model: 'auto',
      stream: true,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: "What's in this image?" },
            { type: 'image_url', image_url: { url: 'https://example.com/boardwalk.jpg', detail: 'low' } },
          ],
        },
      ],
    },
    {
      model: 'auto',
      messages: [
        { role: 'user', content: "What's the weather like in Boston today?" },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_abc',
              type: 'function',
              function: { name: 'get_current_weather', arguments: '{"location":"Boston, MA"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc', content: '{"temperature":22,"unit":"celsius"}' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_current_weather',
            description: 'Get the current weather in a given location',
            parameters: {
              type: 'object',
              properties: {
                location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
                unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              },
              required: ['location'],
            },
          },
        },
      ],
      tool_choice: 'auto',
    },
  ],
  completions: [
    { model: 'auto', prompt: 'Say this is a test', max_tokens: 7, temperature: 0 },
    { model: 'auto', prompt: ['Once upon a time', 'In a galaxy far away'], stream: true },
    { model: 'auto', prompt: [1212, 318, 257, 1332], suffix: '\n}', max_tokens: 16 },
  ],
  responses: [
    { model: 'auto', input: 'Tell me a three sentence bedtime story about a unicorn.' },
    {
      model: 'auto',
      instructions: 'Talk like a pirate.',
      max_output_tokens: 512,
      reasoning: { effort: 'low' },
      input: [
        { role: 'developer', content: 'Answer briefly.' },
        { role: 'user', content: 'Are semicolons optional in JavaScript?' },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Mostly, arr.', annotations: [] }],
        },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'And what is in this image?' },
            { type: 'input_image', image_url: 'https://example.com/ship.png' },
          ],
        },
      ],
    },
    {
      model: 'auto',
      stream: true,
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Get current temperature for a given location.',
          parameters: {
            type: 'object',
            properties: { location: { type: 'string' } },
            required: ['location'],
            additionalProperties: false,
          },
          strict: true,
        },
        { type: 'web_search' },
      ],
      input: [
        { role: 'user', content: 'What is the weather like in Paris today?' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        {
          type: 'function_call',
          id: 'fc_1',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"location":"Paris, France"}',
        },
        { type: 'function_call_output', call_id: 'call_1', output: '14°C, light rain' },
      ],
    },
  ],
  messages: [
    {
      model: 'auto',
      max_tokens: 1024,
      system: 'You are a world-class poet.',
      messages: [{ role: 'user', content: 'Hello, Claude' }],
    },
    {
      model: 'auto',
      max_tokens: 1024,
      stream: true,
      system: [{ type: 'text', text: 'You answer about images.', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
            { type: 'text', text: 'Describe this image.' },
          ],
        },
      ],
    },
    {
      model: 'auto',
      max_tokens: 1024,
      tools: [
        {
          name: 'get_weather',
          description: 'Get the current weather in a given location',
          input_schema: {
            type: 'object',
            properties: { location: { type: 'string', description: 'The city and state' } },
            required: ['location'],
          },
        },
      ],
      messages: [
        { role: 'user', content: 'What is the weather like in San Francisco?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'I need to use get_weather.' },
            {
              type: 'tool_use',
              id: 'toolu_01',
              name: 'get_weather',
              input: { location: 'San Francisco, CA' },
            },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '15 degrees' }],
        },
      ],
    },
  ],
};

type Random = () => number;

const int = (random: Random, max: number) => Math.floor(random() * max);
function pick<T>(random: Random, items: readonly T[]): T {
  return items[int(random, items.length)] as T;
}

/** Characters that upset text handling: controls, quotes, escapes, astral, lone surrogates, BOM, RTL, CJK. */
const NASTY_CHARS = [
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001f',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  '\ufeff',
  '\u202e',
  '字',
  'é',
  '[',
  '{',
  ' ',
];

function randomString(random: Random, maxLength = 24): string {
  const length = int(random, maxLength);
  let s = '';
  for (let i = 0; i < length; i++) {
    s += random() < 0.3 ? pick(random, NASTY_CHARS) : String.fromCharCode(0x20 + int(random, 0x5e));
  }
  return s;
}

/** Field names the adapters read, so random objects hit real code paths. */
const KNOWN_KEYS = [
  'model',
  'messages',
  'role',
  'content',
  'type',
  'text',
  'tool_calls',
  'function',
  'name',
  'arguments',
  'input',
  'instructions',
  'system',
  'prompt',
  'tools',
  'parameters',
  'input_schema',
  'output',
  'source',
  'data',
  'max_tokens',
  'max_output_tokens',
  'max_completion_tokens',
  'metadata',
  'stream',
  'refusal',
  'function_call',
  'suffix',
  '__proto__',
  'constructor',
];

const KNOWN_TYPES = [
  'text',
  'image',
  'image_url',
  'input_text',
  'input_image',
  'output_text',
  'refusal',
  'message',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'tool_use',
  'tool_result',
  'document',
  'search_result',
  'thinking',
  'constructor',
  'toString',
];

export function randomJson(random: Random, depth = 4): unknown {
  const r = random();
  if (depth <= 0 || r < 0.35) {
    return pick(random, [
      () => null,
      () => random() < 0.5,
      () => int(random, 2000) - 1000,
      () => random() * 1e6,
      () => pick(random, [0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2]),
      () => randomString(random),
      () => pick(random, KNOWN_TYPES),
      () => pick(random, ['user', 'assistant', 'system', 'developer', 'tool', 'function', '']),
    ])();
  }
  if (r < 0.65) {
    const length = int(random, 5);
    return Array.from({ length }, () => randomJson(random, depth - 1));
  }
  const object: Record<string, unknown> = {};
  const size = int(random, 6);
  for (let i = 0; i < size; i++) {
    const key = random() < 0.8 ? pick(random, KNOWN_KEYS) : randomString(random, 8);
    // defineProperty: a `__proto__` key must become an own property, as JSON.parse makes it.
    Object.defineProperty(object, key, {
      value: key === 'type' ? pick(random, KNOWN_TYPES) : randomJson(random, depth - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Every path into a seed request (small and shallow by construction, so recursion is fine here). */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) paths(value[i], [...prefix, i], out);
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

const WRONG_TYPES: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  true,
  '',
  'x',
  [],
  {},
  [null],
  [{}],
  [[]],
  { type: 'text' },
  { type: 'text', text: 7 },
  { role: 5 },
  1e308,
];

function substitute(
  root: Record<string, unknown>,
  path: (string | number)[],
  value: unknown,
  remove: boolean,
) {
  let node: unknown = root;
  for (let i = 0; i < path.length - 1; i++)
    node = (node as Record<string | number, unknown>)[path[i] as string];
  const key = path[path.length - 1] as string | number;
  if (Array.isArray(node)) {
    if (remove) node.splice(key as number, 1);
    else node[key as number] = value;
  } else if (typeof node === 'object' && node !== null) {
    if (remove) delete (node as Record<string, unknown>)[key];
    else (node as Record<string, unknown>)[key] = value;
  }
}

export type FuzzKind =
  | 'random_body'
  | 'random_json'
  | 'wrong_type'
  | 'mutated_bytes'
  | 'deep_nesting'
  | 'huge_string'
  | 'invalid_utf8'
  | 'lone_surrogate'
  | 'seed';

export interface FuzzCase {
  readonly api: LlmApi;
  readonly kind: FuzzKind;
  readonly bytes: Uint8Array;
}

const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');

/** Deep nesting of `depth` levels inside a plausible request field. */
export function deeplyNested(api: LlmApi, depth: number, random: Random = Math.random): Uint8Array {
  const open = random() < 0.5 ? '['.repeat(depth) : '{"a":'.repeat(depth);
  const close = open.startsWith('[') ? ']'.repeat(depth) : '}'.repeat(depth);
  const field = {
    chat_completions: 'messages',
    completions: 'prompt',
    responses: 'input',
    messages: 'messages',
  }[api];
  return Buffer.from(`{"model":"auto","max_tokens":5,"${field}":${open}1${close}}`, 'utf8');
}

function mutateBytes(random: Random, bytes: Uint8Array): Uint8Array {
  const out = Array.from(bytes);
  const edits = 1 + int(random, 4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = int(random, out.length);
    switch (int(random, 5)) {
      case 0:
        out[at] = int(random, 256);
        break;
      case 1:
        out.splice(at, 1 + int(random, 8));
        break;
      case 2:
        out.splice(
          at,
          0,
          ...Buffer.from(pick(random, ['{', '[', '"', '\\', ',', ':', 'null', '1e999', '"\\u'])),
        );
        break;
      case 3:
        out.length = at;
        break;
      default: {
        const from = int(random, out.length);
        out.splice(at, 0, ...out.slice(from, from + 1 + int(random, 32)));
      }
    }
  }
  return Uint8Array.from(out);
}

function randomBody(random: Random): Record<string, unknown> {
  const body = randomJson(random, 4);
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const object = body as Record<string, unknown>;
    if (random() < 0.7) object.model = 'auto';
    return object;
  }
  return { model: 'auto', messages: body };
}

/** One case of each kind in turn, drawn from `random`. */
export function fuzzCase(random: Random, index: number): FuzzCase {
  const api = pick(random, FUZZ_APIS);
  const seed = () => clone(pick(random, SEED_REQUESTS[api]));
  const kinds: FuzzKind[] = [
    'seed',
    'random_body',
    'random_json',
    'wrong_type',
    'wrong_type',
    'wrong_type',
    'mutated_bytes',
    'mutated_bytes',
    'deep_nesting',
    'huge_string',
    'invalid_utf8',
    'lone_surrogate',
  ];
  const kind = kinds[index % kinds.length] as FuzzKind;
  switch (kind) {
    case 'seed':
      return { api, kind, bytes: encode(seed()) };
    case 'random_body':
      return { api, kind, bytes: encode(randomBody(random)) };
    case 'random_json':
      return { api, kind, bytes: encode(randomJson(random, 5)) };
    case 'wrong_type': {
      const body = seed();
      const all = paths(body).filter((p) => p.length > 0);
      const path = pick(random, all);
      const value = random() < 0.5 ? pick(random, WRONG_TYPES) : randomJson(random, 3);
      substitute(body, path, value, random() < 0.15);
      return { api, kind, bytes: encode(body) };
    }
    case 'mutated_bytes':
      return { api, kind, bytes: mutateBytes(random, encode(seed())) };
    case 'deep_nesting':
      return { api, kind, bytes: deeplyNested(api, pick(random, [63, 64, 65, 200, 5_000]), random) };
    case 'huge_string': {
      const body = seed();
      const all = paths(body).filter((p) => p.length > 0);
      // Mostly large, occasionally multi-megabyte; kept rare so a few thousand cases stay fast.
      const size = random() < 0.02 ? 1_000_000 : 10_000 + int(random, 50_000);
      substitute(
        body,
        pick(random, all),
        pick(random, ['a', '字', '\ud83d\ude00', '"\\']).repeat(size),
        false,
      );
      return { api, kind, bytes: encode(body) };
    }
    case 'invalid_utf8': {
      const bytes = Array.from(encode(seed()));
      const bad = pick(random, [
        [0xff],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
        [0xe4, 0xbd],
        [0xf8, 0x88, 0x80, 0x80],
      ]);
      bytes.splice(int(random, bytes.length), 0, ...bad);
      return { api, kind, bytes: Uint8Array.from(bytes) };
    }
    case 'lone_surrogate': {
      // JSON escapes of unpaired surrogates are valid JSON and decode to lone UTF-16 code units.
      const json = JSON.stringify(seed());
      const strings = [...json.matchAll(/"[^"\\]{3,}"/g)];
      const target = strings.length > 0 ? int(random, strings.length) : -1;
      let n = 0;
      const text = json.replace(/"([^"\\]{3,})"/g, (match, s: string) =>
        n++ === target ? `"${s}\\ud800x\\udfff"` : match,
      );
      return { api, kind, bytes: Buffer.from(text, 'utf8') };
    }
  }
}

export function* fuzzCases(seed: number, count: number): Generator<FuzzCase> {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) yield fuzzCase(random, i);
}

const isNonNegativeInteger = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Invariants of a ParsedRequest parsed from `body` as `api`; each violation is described. */
export function invariantViolations(request: ParsedRequest, api: LlmApi, body: unknown): string[] {
  const problems: string[] = [];
  if (request.api !== api) problems.push(`api ${request.api} !== ${api}`);
  if (typeof request.model !== 'string' || request.model.length === 0)
    problems.push('model is not a non-empty string');
  if (request.body !== body) problems.push('body is not the parsed object');
  if (typeof request.stream !== 'boolean') problems.push('stream is not boolean');
  if (!isNonNegativeInteger(request.toolCount)) problems.push('toolCount is not a non-negative integer');
  if (typeof request.toolText !== 'string') problems.push('toolText is not a string');
  if (request.maxOutputTokens !== undefined && !isNonNegativeInteger(request.maxOutputTokens))
    problems.push('maxOutputTokens is not a non-negative integer');
  if (typeof request.metadata !== 'object' || request.metadata === null || Array.isArray(request.metadata))
    problems.push('metadata is not an object');
  if (!Array.isArray(request.messages)) problems.push('messages is not an array');
  else
    request.messages.forEach((m, i) => {
      if (typeof m.role !== 'string') problems.push(`messages[${i}].role is not a string`);
      if (typeof m.text !== 'string') problems.push(`messages[${i}].text is not a string`);
      if (typeof m.toolText !== 'string') problems.push(`messages[${i}].toolText is not a string`);
      if (!isNonNegativeInteger(m.imageCount)) problems.push(`messages[${i}].imageCount is invalid`);
      if (!isNonNegativeInteger(m.toolCallCount)) problems.push(`messages[${i}].toolCallCount is invalid`);
    });
  return problems;
}

export type FuzzOutcome =
  | { readonly outcome: 'parsed'; readonly violations: readonly string[] }
  | { readonly outcome: 'rejected'; readonly code: string }
  | { readonly outcome: 'crash'; readonly error: unknown };

/**
 * Runs one case through the parse path, then (when it parsed) the adapter's body patches and the re-serialisation
 * the pipeline does: patches must not throw, nor change the parsed body they were given a copy of.
 */
export function runFuzzCase(fuzz: FuzzCase): FuzzOutcome {
  let body: Record<string, unknown>;
  let request: ParsedRequest;
  try {
    body = decodeJsonBody(fuzz.bytes);
    request = parseLlmRequest(fuzz.api, body);
  } catch (error) {
    if (error instanceof InvalidRequestError) return { outcome: 'rejected', code: error.code };
    return { outcome: 'crash', error };
  }
  const violations = invariantViolations(request, fuzz.api, body);
  try {
    const adapter = LLM_APIS.get(fuzz.api);
    if (!adapter) throw new Error(`no adapter for ${fuzz.api}`);
    const small = fuzz.bytes.length < 64 * 1024;
    const before = small ? JSON.stringify(request.body) : '';
    const copy: Record<string, unknown> = { ...request.body, model: 'provider/model' };
    adapter.applyReasoning(
      copy,
      { type: 'chat_template_kwargs', parameter: 'enable_thinking' },
      true,
      undefined,
    );
    adapter.applyReasoning(copy, { type: 'reasoning_effort', parameter: 'reasoning_effort' }, true, 'high');
    adapter.applySystemPrompt(copy, 'Be brief.', 'insert');
    adapter.applySystemPrompt(copy, 'Be brief.', 'replace');
    JSON.stringify(copy);
    if (small && JSON.stringify(request.body) !== before)
      violations.push('a body patch mutated the parsed body');
  } catch (error) {
    return { outcome: 'crash', error };
  }
  return { outcome: 'parsed', violations };
}
