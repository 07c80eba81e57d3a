// Traces carry token counts, not text: each trace request becomes a deterministic chat request of about the traced
// size. Filler text is cut from a fixed tape of neutral English words (so it triggers no keyword, PII or language
// signal), one slice per prefix block id (same id, same text: shared prefixes stay shared), and ends with a question
// drawn with the seed from a prompt list, which is what the policy's signals route on.
import path from 'node:path';
import { seededRandom } from '../seeded-random.ts';
import { csvRecords } from './csv.ts';
import { readInputFile, SimulationInputError } from './input-error.ts';
import type { TraceRequest } from './trace.ts';

/** Request header carrying the conversation id (Mooncake traces), for session-aware selection. */
export const SESSION_HEADER = 'x-session-id';
export const REQUEST_ID_HEADER = 'x-request-id';

/** Questions of everyday traffic: about two thirds general chat, a sixth code, a sixth maths. */
export const BUILT_IN_PROMPTS: readonly string[] = [
  'Can you suggest a relaxing plan for a rainy Sunday afternoon?',
  'Write a short, friendly note thanking a neighbour for watering my plants.',
  'Summarise the story above in three sentences.',
  'What are some good questions to ask at a job interview?',
  'Give me tips for keeping houseplants healthy in winter.',
  'Recommend a few classic novels for a long train journey.',
  'How do I make a simple vegetable soup?',
  'Explain the difference between weather and climate in plain words.',
  'Draft a polite email asking to move our meeting to Thursday.',
  'What should I pack for a weekend hiking trip?',
  'Suggest a name for a small bakery by the harbour.',
  'Turn the notes above into a short packing list.',
  'Write a Python function that removes duplicate lines from a file.',
  'Why does this JavaScript code throw an exception when the list is empty?',
  'Refactor this SQL query so it uses a join instead of a subquery.',
  'Prove that the square root of two is irrational.',
  'Calculate the derivative of x^3 sin(x).',
  'What is the probability of rolling two sixes with three dice?',
];

// Words no signal of the shipped policies reacts to (no code, maths, privacy or PII terms, no digits).
const FILLER_WORDS = (
  'the a of and to in was for on with as at by from river morning garden window story travel music letter family ' +
  'city weather breakfast holiday village painting friend school market summer winter autumn mountain forest ocean ' +
  'harbour bridge street kitchen library bicycle journey evening afternoon sunlight quiet bright gentle warm cold ' +
  'green blue yellow small large old new happy careful early late walked visited painted cooked wrote sang ' +
  'listened watched planted carried opened closed remembered noticed talked smiled arrived stayed returned ' +
  'neighbours children teacher baker farmer sailor coffee bread apples flowers birds clouds rain snow wind stones ' +
  'boats trains roads lights songs books photos postcard museum park festival picnic lantern meadow orchard cottage'
).split(' ');

const CHARS_PER_TOKEN = 4;
const TAPE_CHARS = 1 << 18;
/** Tokens the router counts per message besides its text (src/request/request-context.ts). */
const MESSAGE_OVERHEAD_TOKENS = 4;

let tape: string | undefined;

function fillerTape(): string {
  if (tape === undefined) {
    const random = seededRandom(0x5eed);
    const words: string[] = [];
    let length = 0;
    while (length < TAPE_CHARS) {
      const word = FILLER_WORDS[Math.floor(random() * FILLER_WORDS.length)] as string;
      words.push(word);
      length += word.length + 1;
    }
    tape = words.join(' ');
  }
  return tape;
}

/** A 32-bit mix of integers (deterministic, well spread). */
function mix(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

/** Filler is cut in pieces of at most this many characters, each from its own place on the tape. */
const PIECE_CHARS = 1 << 16;

/**
 * About `tokens` tokens of filler, the same for the same key (a block id or a request's own key); a shorter text for
 * a key is a prefix of a longer one.
 */
export function fillerText(key: number, tokens: number): string {
  if (tokens <= 0) return '';
  const source = fillerTape();
  const chars = tokens * CHARS_PER_TOKEN;
  let text = '';
  for (let piece = 0; text.length < chars; piece++) {
    const start = mix(key, piece) % (source.length - PIECE_CHARS);
    text += source.slice(start, start + Math.min(PIECE_CHARS, chars - text.length));
  }
  return text;
}

/** A chat request standing in for one trace request, with the headers a client would send. */
export interface SyntheticRequest {
  readonly body: Uint8Array;
  readonly headers: ReadonlyMap<string, string>;
  /** The conversation the request belongs to (Mooncake: its first blocks), or undefined. */
  readonly session: string | undefined;
}

export interface SyntheticRequestOptions {
  readonly seed: number;
  readonly prompts: readonly string[];
  readonly blockTokens: number;
}

function tokensOf(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * The request for trace row `index`. With prefix blocks: a system message (block 0, shared by the whole trace), then
 * one message per further block (user, assistant, user, … — the earlier turns), then the question as the last user
 * message; the conversation is named by its first private block, and its question is drawn once per conversation.
 * Without blocks: one user message of filler and the question, drawn per request.
 */
export function syntheticRequest(
  trace: TraceRequest,
  index: number,
  options: SyntheticRequestOptions,
): SyntheticRequest {
  const { blocks } = trace;
  const conversationBlock = blocks.length > 1 ? blocks[1] : undefined;
  const session = conversationBlock === undefined ? undefined : `conv-${conversationBlock}`;
  const pick = seededRandom(
    mix(options.seed, conversationBlock ?? index, conversationBlock === undefined ? 1 : 2),
  )();
  const question = options.prompts[Math.floor(pick * options.prompts.length)] ?? '';
  const messages: { role: string; content: string }[] = [];
  let budget = trace.inputTokens - tokensOf(question) - MESSAGE_OVERHEAD_TOKENS;
  if (blocks.length === 0) {
    const filler = fillerText(mix(options.seed, index, 3), budget - MESSAGE_OVERHEAD_TOKENS);
    messages.push({ role: 'user', content: filler.length > 0 ? `${filler}\n\n${question}` : question });
  } else {
    for (const [i, block] of blocks.entries()) {
      budget -= MESSAGE_OVERHEAD_TOKENS;
      if (budget <= 0) break;
      // The last block also takes whatever the blocks do not cover (a trace whose blocks undercount its input).
      const tokens = i === blocks.length - 1 ? budget : Math.min(budget, options.blockTokens);
      const role = i === 0 ? 'system' : i % 2 === 1 ? 'user' : 'assistant';
      messages.push({ role, content: fillerText(block, tokens) });
      budget -= tokens;
    }
    messages.push({ role: 'user', content: question });
  }
  const body = { model: 'auto', messages, max_tokens: Math.max(1, trace.outputTokens) };
  const headers = new Map([[REQUEST_ID_HEADER, `sim-${index}`]]);
  if (session !== undefined) headers.set(SESSION_HEADER, session);
  return { body: Buffer.from(JSON.stringify(body), 'utf8'), headers, session };
}

/**
 * Prompts from a file: `.txt` one per line, `.jsonl` objects with `prompt`, `text` or `instruction`, `.csv` with
 * a column of one of those names.
 */
export async function readPrompts(file: string): Promise<string[]> {
  const text = await readInputFile(file, 'the prompts');
  const fields = ['prompt', 'text', 'instruction'];
  const ext = path.extname(file).toLowerCase();
  let prompts: string[];
  if (ext === '.jsonl') {
    prompts = text
      .split('\n')
      .map((line, i) => ({ line: line.trim(), number: i + 1 }))
      .filter(({ line }) => line !== '')
      .map(({ line, number }) => {
        let row: unknown;
        try {
          row = JSON.parse(line);
        } catch {
          throw new SimulationInputError(file, 'not a JSON object', number);
        }
        const value = fields
          .map((f) => (row as Record<string, unknown>)?.[f])
          .find((v) => typeof v === 'string');
        if (typeof value !== 'string')
          throw new SimulationInputError(file, `no ${fields.join(' / ')} string field`, number);
        return value;
      });
  } else if (ext === '.csv') {
    const records = csvRecords(text);
    const header = records.next();
    const column = header.done
      ? -1
      : header.value.fields.findIndex((f) => fields.includes(f.trim().toLowerCase()));
    if (column < 0) throw new SimulationInputError(file, `no ${fields.join(' / ')} column in the header`, 1);
    prompts = [...records].map((r) => r.fields[column] ?? '').filter((p) => p.trim() !== '');
  } else {
    prompts = text.split('\n').filter((line) => line.trim() !== '');
  }
  if (prompts.length === 0) throw new SimulationInputError(file, 'no prompts in the file');
  return prompts;
}
