// CPU cost per character of the structured PII detectors and the keyword matcher on hostile input classes,
// compared with plain English prose: one request's text must not amplify CPU. Prints ns/char and the ratio to
// prose for each class, target and size; a ratio that grows with the size means super-linear work.
// Usage: node --import tsx bench/pii-cpu.ts [--sizes 65536,1048576] [--classes a,b] [--targets x,y]
//        [--min-ms 200] [--json]
import { detectCreditCards } from '../src/pii/credit-card.ts';
import { detectPii } from '../src/pii/detect.ts';
import { detectEmails } from '../src/pii/email.ts';
import { detectIbans } from '../src/pii/iban.ts';
import { detectIpAddresses } from '../src/pii/ip-address.ts';
import { detectPhoneNumbers } from '../src/pii/phone.ts';
import { detectSsns } from '../src/pii/ssn.ts';
import { type MatcherTerm, TextMatcher } from '../src/signals/text-matcher.ts';

/** Deterministic pseudo-random generator (mulberry32): every run measures the same texts. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `unit` repeated to exactly `length` UTF-16 code units. */
function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** Pieces drawn at random (seeded) and joined by `separator` until `length` code units. */
function drawTo(pieces: readonly string[], separator: string, length: number, seed: number): string {
  const next = random(seed);
  const out: string[] = [];
  let total = 0;
  while (total < length) {
    const piece = pieces[Math.floor(next() * pieces.length)] as string;
    out.push(piece);
    total += piece.length + separator.length;
  }
  return out.join(separator).slice(0, length);
}

function randomOf(alphabet: string, length: number, seed: number): string {
  const next = random(seed);
  const chars: string[] = new Array(length);
  for (let i = 0; i < length; i++) chars[i] = alphabet[Math.floor(next() * alphabet.length)] as string;
  return chars.join('');
}

/** Chat-prompt English, with the odd number, version and year that real prompts carry. */
const PROSE = [
  'Explain the difference between TCP and UDP in 3 sentences.',
  'Can you help me write a cover letter for a junior data analyst position?',
  'The committee met on Tuesday to review the budget and agreed to postpone the decision until spring.',
  'Summarise the main arguments of the article below, keeping the tone neutral and the length under a page.',
  'Why does my Python 3.12 script print the wrong total when I add floating point numbers?',
  'She walked along the river, thinking about the letter she had never sent, and the rain began again.',
  'List five ideas for a birthday party for a seven-year-old who loves dinosaurs and space.',
  'In 2019 the company moved its headquarters to a smaller office near the station.',
  'What are the pros and cons of renting versus buying a house in a city where prices keep rising?',
  'Translate the following paragraph into French, but keep the product names in English.',
  'Our team of 12 engineers spent about 40 percent of the sprint fixing flaky tests.',
  'Please rewrite this email so that it sounds friendlier, without changing what it asks for.',
  'The recipe calls for two cups of flour, one egg, a pinch of salt and enough milk to make a smooth batter.',
  'How do I configure the router to retry a request on another pool when the first one times out?',
  'He argued that the evidence was circumstantial, yet the jury took less than an hour to return a verdict.',
  'Write a short poem about autumn leaves, the smell of smoke, and the first cold morning of the year.',
  'Compare the economic policies of the two candidates and say which groups each would help most.',
  'I keep getting a permission error when the build step copies files into the output folder; what should I check?',
  'The museum is open from Monday to Saturday, and entry is free on the first Sunday of each month.',
  'Describe the water cycle to a class of ten-year-olds, with one simple experiment they can do at home.',
];

const CJK = [
  '请用三句话解释传输控制协议和用户数据报协议的区别。',
  '委员会在星期二开会审查预算，并同意把决定推迟到春天。',
  '她沿着河边散步，想着那封从未寄出的信，雨又开始下了。',
  '请把下面这段话翻译成英文，但保留产品名称不变。',
  '为什么我的脚本在把浮点数相加时打印出错误的总数？',
  '博物馆周一至周六开放，每月第一个星期日免费入场。',
];

const EMOJI = ['😀', '🎉', '👍🏽', '🚀', '❤️', '🇫🇷', '👨‍👩‍👧'];

/** One hostile (or reference) input class: a deterministic text of exactly `length` code units. */
interface InputClass {
  readonly name: string;
  readonly make: (length: number) => string;
}

const CLASSES: readonly InputClass[] = [
  { name: 'prose', make: (n) => drawTo(PROSE, ' ', n, 1) },
  { name: 'digit-space "1 "', make: (n) => repeatTo('1 ', n) },
  { name: 'digits only', make: (n) => repeatTo('7', n) },
  { name: 'random digits', make: (n) => randomOf('0123456789', n, 2) },
  { name: '"12-"', make: (n) => repeatTo('12-', n) },
  { name: 'digits+separators', make: (n) => randomOf('0123456789 .-', n, 3) },
  { name: 'phone-like', make: (n) => repeatTo('call 415-555-0132 ', n) },
  { name: 'bare phones', make: (n) => repeatTo('4155550132 ', n) },
  { name: 'cards', make: (n) => repeatTo('card 4111 1111 1111 1111, ', n) },
  { name: '"1."', make: (n) => repeatTo('1.', n) },
  { name: '"1:"', make: (n) => repeatTo('1:', n) },
  { name: '"+1 "', make: (n) => repeatTo('+1 ', n) },
  { name: '"(1)"', make: (n) => repeatTo('(1)', n) },
  { name: '"@"', make: (n) => repeatTo('@', n) },
  { name: '"a@"', make: (n) => repeatTo('a@', n) },
  { name: '"a."', make: (n) => repeatTo('a.', n) },
  { name: '"a@a."', make: (n) => repeatTo('a@a.', n) },
  { name: 'emails', make: (n) => repeatTo('mail a.b@example.com, ', n) },
  { name: 'hex+colons', make: (n) => randomOf('0123456789abcdef:.', n, 4) },
  { name: '"::"', make: (n) => repeatTo('::', n) },
  { name: '"GB12"', make: (n) => repeatTo('GB12', n) },
  { name: '"GB12 "', make: (n) => repeatTo('GB12 ', n) },
  { name: 'lone surrogates', make: (n) => repeatTo('\uD800', n) },
  { name: 'emoji', make: (n) => drawTo(EMOJI, '', n, 5) },
  { name: 'CJK', make: (n) => drawTo(CJK, '', n, 6) },
  { name: 'whitespace', make: (n) => randomOf(' \t\n', n, 7) },
  { name: 'long word', make: (n) => repeatTo('a', n) },
  { name: 'random ASCII', make: (n) => randomOf(printableAscii(), n, 8) },
  { name: 'random PII chars', make: (n) => randomOf('abcdefXYZ0123456789 .-:@+()x\n', n, 9) },
  { name: 'keyword-dense', make: (n) => repeatTo('urgent python bug ', n) },
];

function printableAscii(): string {
  let s = '';
  for (let c = 32; c < 127; c++) s += String.fromCharCode(c);
  return s;
}

/** A keyword policy of realistic size: a few dozen literals (both cases, multi-word, CJK) and regex terms. */
const KEYWORD_TERMS: readonly MatcherTerm[] = [
  ...[
    'urgent',
    'asap',
    'immediately',
    'python',
    'javascript',
    'typescript',
    'rust',
    'golang',
    'sql',
    'function',
    'bug',
    'error',
    'stack trace',
    'exception',
    'compile',
    'deploy',
    'kubernetes',
    'docker',
    'invoice',
    'refund',
    'password',
    'credit card',
    'diagnosis',
    'symptom',
    'lawsuit',
    'contract',
    'translate',
    'summarise',
    'summarize',
    'poem',
    'c++',
    '函数',
    '翻译',
  ].map((text) => ({ text, caseSensitive: false, regex: false })),
  ...['API', 'SLA', 'GDPR', 'HIPAA'].map((text) => ({ text, caseSensitive: true, regex: false })),
  { text: '\\b(?:step[- ]by[- ]step|chain of thought)\\b', caseSensitive: false, regex: true },
  { text: '(?i)\\bversion\\s+\\d+(?:\\.\\d+)*', caseSensitive: false, regex: true },
];

type Target = (text: string) => unknown;

function targets(): [string, Target][] {
  const matcher = new TextMatcher(KEYWORD_TERMS);
  return [
    ['detectPii', (t) => detectPii(t)],
    ['email', detectEmails],
    ['iban', detectIbans],
    ['card', detectCreditCards],
    ['ssn', detectSsns],
    ['ip', detectIpAddresses],
    ['phone', detectPhoneNumbers],
    ['keywords', (t) => matcher.countAll(t)],
  ];
}

interface Args {
  readonly sizes: readonly number[];
  readonly classes: readonly string[] | undefined;
  readonly targets: readonly string[] | undefined;
  readonly minMs: number;
  readonly json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let sizes = [64 * 1024, 1024 * 1024];
  let classes: string[] | undefined;
  let only: string[] | undefined;
  let minMs = 200;
  let json = false;
  const list = (value: string | undefined) => (value ?? '').split(',').filter((s) => s.length > 0);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--sizes') sizes = list(argv[++i]).map(Number);
    else if (arg === '--classes') classes = list(argv[++i]);
    else if (arg === '--targets') only = list(argv[++i]);
    else if (arg === '--min-ms') minMs = Number(argv[++i]);
    else if (arg === '--json') json = true;
    else
      throw new Error(
        `unknown argument ${arg}; usage: pii-cpu.ts [--sizes N,N] [--classes a,b] [--targets x,y] [--min-ms MS] [--json]`,
      );
  }
  return { sizes, classes, targets: only, minMs, json };
}

/**
 * Fastest of repeated runs (at least 3, and at least `minMs` in all), in ns per character. The minimum is the
 * figure least disturbed by other load on the machine; the first run also flattens the string and warms the JIT.
 */
function nsPerChar(target: Target, text: string, minMs: number): number {
  target(text);
  let best = Number.POSITIVE_INFINITY;
  let spent = 0;
  for (let runs = 0; runs < 3 || spent < minMs * 1e6; runs++) {
    const t0 = process.hrtime.bigint();
    target(text);
    const ns = Number(process.hrtime.bigint() - t0);
    spent += ns;
    best = Math.min(best, ns);
    if (runs >= 200) break;
  }
  return best / text.length;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const selected = targets().filter(([name]) => args.targets === undefined || args.targets.includes(name));
  const classes = CLASSES.filter(
    (c) => c.name === 'prose' || args.classes === undefined || args.classes.includes(c.name),
  );
  const results: { size: number; class: string; target: string; nsPerChar: number; ratio: number }[] = [];
  for (const size of args.sizes) {
    const prose = new Map<string, number>();
    for (const inputClass of classes) {
      // A flat copy: repeat() and slice() leave ropes, which the first scan would flatten.
      const text = Buffer.from(inputClass.make(size), 'utf16le').toString('utf16le');
      if (text.length !== size) throw new Error(`${inputClass.name} made ${text.length} chars, not ${size}`);
      for (const [name, target] of selected) {
        const ns = nsPerChar(target, text, args.minMs);
        if (inputClass.name === 'prose') prose.set(name, ns);
        const ratio = ns / (prose.get(name) ?? ns);
        results.push({ size, class: inputClass.name, target: name, nsPerChar: ns, ratio });
      }
    }
  }
  if (args.json) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  for (const size of args.sizes) {
    console.log(`\n${size / 1024} KiB: ns/char (ratio to prose)`);
    const header = ['class', ...selected.map(([name]) => name)];
    const rows = classes.map((c) => [
      c.name,
      ...selected.map(([name]) => {
        const r = results.find((x) => x.size === size && x.class === c.name && x.target === name);
        return r === undefined ? '' : `${r.nsPerChar.toFixed(2)} (${r.ratio.toFixed(1)}x)`;
      }),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: readonly string[]) =>
      cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
  }
}

main();
