// The benchmark's request mix, built once from ../shared/data and pre-encoded as the four ext_proc messages
// Envoy sends for one buffered chat completion: the load generator spends no CPU on JSON or protobuf.

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../src/seeded-random.ts';
import { parseCsvRecords } from './csv.ts';
import type { BenchHeaderValue, BenchProcessingRequest } from './ext-proc-proto.ts';

export type SourceName = 'mmlu-pro' | 'gqr-finance' | 'gqr-healthcare' | 'deepset-benign' | 'lingua' | 'long';

/** What a correct router answers to the request body. */
export type Expectation = 'route' | 'reject';

export interface WorkItem {
  readonly source: SourceName;
  readonly model: string;
  readonly stream: boolean;
  readonly expect: Expectation;
  readonly bodyBytes: number;
  /** Serialized ProcessingRequests: request_headers, request_body, response_headers, response_body. */
  readonly messages: readonly [Buffer, Buffer, Buffer, Buffer];
}

export interface WorkloadOptions {
  readonly dataDir: string;
  readonly size: number;
  readonly seed: number;
  /** Serializes a ProcessingRequest with the proto's own serializer. */
  readonly encode: (message: BenchProcessingRequest) => Buffer;
}

export interface WorkloadSummary {
  readonly items: number;
  readonly sources: Record<string, number>;
  readonly autoModel: number;
  readonly concreteModel: number;
  readonly unknownModel: number;
  readonly streaming: number;
  readonly meanBodyBytes: number;
  readonly maxBodyBytes: number;
}

// Shares of the mix; `long` prompts (~30K tokens) go last and are rare, as in chat traffic.
const SOURCE_WEIGHTS: readonly [SourceName, number][] = [
  ['mmlu-pro', 0.34],
  ['gqr-finance', 0.15],
  ['gqr-healthcare', 0.15],
  ['deepset-benign', 0.1],
  ['lingua', 0.25],
  ['long', 0.01],
];
const CONCRETE_MODELS = ['small-chat', 'coder'] as const;
const CONCRETE_SHARE = 0.1;
const UNKNOWN_MODEL_SHARE = 0.005;
const STREAM_SHARE = 0.1;
const LONG_PROMPT_CHARS = 120_000;
const SYSTEM_PROMPT = 'You are a helpful assistant. Answer concisely and cite sources when you can.';

function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw new Error('cannot pick from an empty list');
  return items[Math.floor(random() * items.length)] as T;
}

function csvColumn(
  file: string,
  column: string,
  keep: (row: Record<string, string>) => boolean = () => true,
) {
  const texts = parseCsvRecords(readFileSync(file, 'utf8'))
    .filter(keep)
    .map((row) => row[column] ?? '')
    .filter((text) => text.trim().length > 0);
  if (texts.length === 0) throw new Error(`no '${column}' values in ${file}`);
  return texts;
}

function jsonlTexts(file: string, keep: (row: { text?: unknown; label?: unknown }) => boolean): string[] {
  const texts: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { text?: unknown; label?: unknown };
    if (keep(row) && typeof row.text === 'string' && row.text.trim()) texts.push(row.text);
  }
  if (texts.length === 0) throw new Error(`no texts in ${file}`);
  return texts;
}

type Corpus = Record<Exclude<SourceName, 'long'>, string[]>;

function loadCorpus(dataDir: string): Corpus {
  const file = (...parts: string[]) => path.join(dataDir, ...parts);
  const gqrFile = (prefix: string) => {
    const name = readdirSync(file('gqr-proxy')).find((entry) => entry.startsWith(prefix));
    if (!name) throw new Error(`no gqr-proxy/${prefix}*.csv in ${dataDir}`);
    return file('gqr-proxy', name);
  };
  return {
    'mmlu-pro': csvColumn(file('mmlu-pro', 'mmlu_pro_test_question_category.csv'), 'question'),
    'gqr-finance': csvColumn(gqrFile('finance'), 'text'),
    'gqr-healthcare': csvColumn(gqrFile('healthcare'), 'text'),
    'deepset-benign': jsonlTexts(file('deepset-prompt-injections', 'test.jsonl'), (row) => row.label === 0),
    lingua: csvColumn(
      file('lingua-langid', 'lingua_testdata_24langs.csv'),
      'text',
      (row) => row.kind === 'sentence',
    ),
  };
}

function longPrompt(corpus: Corpus, random: () => number): string {
  const parts: string[] = ['Summarise the following collected notes and answer the last question.'];
  let length = 0;
  while (length < LONG_PROMPT_CHARS) {
    const text = pick(random() < 0.7 ? corpus['mmlu-pro'] : corpus['gqr-healthcare'], random);
    parts.push(text);
    length += text.length + 2;
  }
  return parts.join('\n\n');
}

function chooseSource(random: () => number): SourceName {
  let roll = random();
  for (const [source, weight] of SOURCE_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return source;
  }
  return 'mmlu-pro';
}

function header(key: string, value: string): BenchHeaderValue {
  // Modern Envoy sends header values as raw_value bytes.
  return { key, raw_value: Buffer.from(value, 'utf8') };
}

function responseBody(model: string, stream: boolean): Buffer {
  const usage = { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 };
  if (!stream) {
    return Buffer.from(
      JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Sure, here it is.' } }],
        usage,
      }),
    );
  }
  const chunk = (delta: object, extra: object = {}) => {
    const event = {
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      model,
      choices: [{ index: 0, delta }],
    };
    return `data: ${JSON.stringify({ ...event, ...extra })}\n\n`;
  };
  const first = chunk({ role: 'assistant', content: 'Sure, ' });
  const last = chunk({ content: 'here it is.' }, { usage });
  return Buffer.from(`${first}${last}data: [DONE]\n\n`);
}

function buildItem(corpus: Corpus, random: () => number, encode: WorkloadOptions['encode']): WorkItem {
  const source = chooseSource(random);
  const text = source === 'long' ? longPrompt(corpus, random) : pick(corpus[source], random);
  const modelRoll = random();
  const expect: Expectation = modelRoll < UNKNOWN_MODEL_SHARE ? 'reject' : 'route';
  const model =
    expect === 'reject'
      ? 'no-such-model'
      : modelRoll < UNKNOWN_MODEL_SHARE + CONCRETE_SHARE
        ? pick(CONCRETE_MODELS, random)
        : 'auto';
  const stream = random() < STREAM_SHARE;
  const messages = [
    ...(random() < 0.3 ? [{ role: 'system', content: SYSTEM_PROMPT }] : []),
    { role: 'user', content: text },
  ];
  const body = Buffer.from(
    JSON.stringify({
      model,
      messages,
      ...(random() < 0.5 && { max_tokens: 256 + Math.floor(random() * 1024) }),
      ...(random() < 0.3 && { temperature: 0.7 }),
      ...(stream && { stream: true, stream_options: { include_usage: true } }),
    }),
  );
  const requestHeaders = [
    header(':authority', 'llm.example.com'),
    header(':path', '/v1/chat/completions'),
    header(':method', 'POST'),
    header(':scheme', 'https'),
    header('content-type', 'application/json'),
    header('content-length', String(body.length)),
    header('accept', stream ? 'text/event-stream' : 'application/json'),
    header('user-agent', 'OpenAI/Python 1.82.0'),
    header('authorization', 'Bearer sk-bench-not-a-secret'),
    header('x-forwarded-proto', 'https'),
    header('x-request-id', randomUUID()),
  ];
  const answer = responseBody(model, stream);
  const responseHeaders = [
    header(':status', '200'),
    header('content-type', stream ? 'text/event-stream' : 'application/json'),
    ...(stream ? [] : [header('content-length', String(answer.length))]),
    header('date', 'Sat, 01 Nov 2025 12:00:00 GMT'),
    header('x-envoy-upstream-service-time', '87'),
  ];
  return {
    source,
    model,
    stream,
    expect,
    bodyBytes: body.length,
    messages: [
      encode({
        request_headers: { headers: { headers: requestHeaders }, end_of_stream: false },
        // Envoy reports its configured processing modes in the first message of a stream.
        protocol_config: { request_body_mode: 'BUFFERED', response_body_mode: 'BUFFERED' },
      }),
      encode({ request_body: { body, end_of_stream: true } }),
      encode({ response_headers: { headers: { headers: responseHeaders }, end_of_stream: false } }),
      encode({ response_body: { body: answer, end_of_stream: true } }),
    ],
  };
}

/** Builds `size` requests in a fixed pseudo-random order from the data sets. */
export function buildWorkload(options: WorkloadOptions): WorkItem[] {
  const corpus = loadCorpus(options.dataDir);
  // Deterministic, so both targets get the same mix in the same order.
  const random = seededRandom(options.seed);
  return Array.from({ length: options.size }, () => buildItem(corpus, random, options.encode));
}

export function summarizeWorkload(items: readonly WorkItem[]): WorkloadSummary {
  const sources: Record<string, number> = {};
  let bytes = 0;
  let maxBytes = 0;
  for (const item of items) {
    sources[item.source] = (sources[item.source] ?? 0) + 1;
    bytes += item.bodyBytes;
    maxBytes = Math.max(maxBytes, item.bodyBytes);
  }
  const count = (keep: (item: WorkItem) => boolean) => items.filter(keep).length;
  return {
    items: items.length,
    sources,
    autoModel: count((item) => item.model === 'auto'),
    concreteModel: count((item) => item.expect === 'route' && item.model !== 'auto'),
    unknownModel: count((item) => item.expect === 'reject'),
    streaming: count((item) => item.stream),
    meanBodyBytes: Math.round(bytes / Math.max(1, items.length)),
    maxBodyBytes: maxBytes,
  };
}
