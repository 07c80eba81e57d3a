// A heuristic stand-in for the peer's hallucination detector (a token classifier plus NLI): the factual units of an
// answer (numbers and dates, quoted strings, capitalised names) are looked up in the context the request carried.
// A unit found nowhere in it is unsupported. It catches invented figures and names; it cannot see a wrong claim made
// of words the context contains (docs/response-checks.md measures both).

export type FactualUnitKind = 'number' | 'quote' | 'entity';

export interface FactualUnit {
  readonly kind: FactualUnitKind;
  /** As written in the answer. */
  readonly text: string;
}

export interface GroundingResult {
  readonly units: readonly FactualUnit[];
  readonly unsupported: readonly FactualUnit[];
  /** Share of the answer's units the context does not support (0 with no units). */
  readonly unsupportedShare: number;
}

/** Numbers with thousands separators and decimals (1,234.5), optionally signed; a date's parts are numbers too. */
const NUMBER =
  /(?<![\p{L}\p{N}])[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\p{L}\p{N}])|(?<![\p{L}\p{N}.])[-+]?\d+(?:\.\d+)?/gu;
const QUOTE = /["“]([^"”\n]{3,120})["”]/gu;
/** A run of capitalised words (Marie Curie, New York, IBM); joining words of names (of, de, van) may sit inside. */
const ENTITY =
  /\p{Lu}[\p{L}\p{N}'’-]*(?:\s+(?:(?:of|de|da|van|von|der|la|le|the|and|&)\s+)?\p{Lu}[\p{L}\p{N}'’-]*)*/gu;
/** A numbered list marker at a line start ("1. ", "2) "): structure, not a claim. */
const LIST_MARKER = /^\s*\d+[.)]\s/;

/** Capitalised words that start sentences and carry no fact. */
const COMMON_WORDS = new Set(
  (
    'a an the i it its this that these those there here he she they we you my our your his her their yes no not ' +
    'however therefore thus so also and but or if when while because although as at in on for from to with by ' +
    'of after before during since until answer option note first second third finally overall in-short sure ok ' +
    'okay well based according correct incorrect true false step example question'
  ).split(' '),
);

function canonicalNumber(text: string): string {
  const value = Number(text.replace(/,/g, ''));
  return Number.isFinite(value) ? String(value) : text;
}

function numbersIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(NUMBER)) found.add(canonicalNumber(match[0]));
  return found;
}

function wordsIn(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

function startsSentence(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const char = text[i] as string;
    if (/\s/u.test(char)) continue;
    return /[.!?([{"“'‘*#>-]/u.test(char);
  }
  return true;
}

/** The factual units of `text`: numbers (list markers aside), quoted strings and capitalised names. */
export function factualUnits(text: string): FactualUnit[] {
  const units: FactualUnit[] = [];
  for (const line of text.split('\n')) {
    const body = line.replace(LIST_MARKER, '');
    for (const match of body.matchAll(NUMBER)) units.push({ kind: 'number', text: match[0] });
    for (const match of body.matchAll(QUOTE)) units.push({ kind: 'quote', text: match[1] as string });
    for (const match of body.matchAll(ENTITY)) {
      const words = match[0].split(/\s+/);
      // A sentence's first word is capitalised whatever it is: it is left out (a name there is missed, which costs
      // recall, not precision), as are leading common words.
      if (startsSentence(body, match.index)) words.shift();
      while (words.length > 0 && COMMON_WORDS.has((words[0] as string).toLowerCase())) words.shift();
      if (words.length === 0) continue;
      const entity = words.join(' ');
      if (entity.length < 2 || /^\p{Lu}$/u.test(entity)) continue;
      units.push({ kind: 'entity', text: entity });
    }
  }
  return units;
}

/** The request's context, indexed once: its numbers, words and lower-case text. */
export class GroundingContext {
  readonly #numbers: Set<string>;
  readonly #words: Set<string>;
  readonly #lower: string;
  /** Whether the context holds any fact to check against (a generic system prompt holds none). */
  readonly hasFacts: boolean;

  constructor(texts: readonly string[]) {
    const text = texts.join('\n');
    this.#numbers = numbersIn(text);
    this.#words = wordsIn(text);
    this.#lower = text.toLowerCase();
    this.hasFacts = factualUnits(text).length > 0;
  }

  supports(unit: FactualUnit): boolean {
    switch (unit.kind) {
      case 'number':
        return this.#numbers.has(canonicalNumber(unit.text));
      case 'quote':
        return this.#lower.includes(unit.text.toLowerCase());
      case 'entity': {
        // Every word of the name occurs in the context (names are often shortened or reordered).
        const words = unit.text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
        return words.every((word) => COMMON_WORDS.has(word) || this.#words.has(word));
      }
    }
  }
}

export function checkGrounding(answer: string, context: GroundingContext): GroundingResult {
  const units = factualUnits(answer);
  const unsupported = units.filter((unit) => !context.supports(unit));
  return { units, unsupported, unsupportedShare: units.length === 0 ? 0 : unsupported.length / units.length };
}
