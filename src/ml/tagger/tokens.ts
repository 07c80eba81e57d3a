// Word tokens with character offsets: the units the token tagger labels and the source of their spans.

/** One token of a text: `text.slice(start, end)`. */
export interface Token {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Runs of letters, marks and digits (joined by an inner apostrophe or hyphen: O'Brien, Jean-Luc), or any single
 * other non-space character. Punctuation is tokenised so that commas inside an address can carry its label.
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/** Tokens of the first `maxChars` code units of `text`, at most `maxTokens` of them. */
export function tokenizeWithOffsets(text: string, maxChars: number, maxTokens: number): Token[] {
  const head = text.length > maxChars ? text.slice(0, maxChars) : text;
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(head); m !== null && tokens.length < maxTokens; m = TOKEN.exec(head)) {
    tokens.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  }
  return tokens;
}

/** Whether a token is a word (letters or digits) rather than one punctuation character. */
export function isWordToken(token: Token): boolean {
  return /[\p{L}\p{M}\p{N}]/u.test(token.text);
}
