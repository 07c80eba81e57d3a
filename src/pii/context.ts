// Context-word helpers: raise a detector's confidence when a telling word sits just before or after a span.
//
// Every context pattern names words of ASCII letters, and case-insensitive matching without the `u` flag never
// maps other characters onto ASCII letters; so a window without one cannot match, and the regex (and the slice
// it needs) is skipped. On dense numbers that is nearly every candidate.

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function hasLetter(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isAsciiLetter(text.charCodeAt(i))) return true;
  return false;
}

/** True when `pattern` (words of ASCII letters, anywhere) matches the `window` characters before `start`. */
export function hasWordBefore(text: string, start: number, pattern: RegExp, window = 40): boolean {
  const from = Math.max(0, start - window);
  return hasLetter(text, from, start) && pattern.test(text.slice(from, start));
}

/**
 * True when `pattern` matches the end of the `window` characters before `start`. The pattern must match no digit
 * (a word, then spaces or punctuation up to `$`), so the window is cut at its last digit: kept as the first
 * character, so that a `\b` right after it reads the same.
 */
export function endsWithWord(text: string, start: number, pattern: RegExp, window: number): boolean {
  const windowStart = Math.max(0, start - window);
  let from = start;
  let letter = false;
  while (from > windowStart) {
    const code = text.charCodeAt(from - 1);
    if (isDigit(code)) {
      from--;
      break;
    }
    if (isAsciiLetter(code)) letter = true;
    from--;
  }
  return letter && pattern.test(text.slice(from, start));
}

/** True when `pattern` (anchored with `^`, at most `skip` characters before a word of ASCII letters) matches after `end`. */
export function startsWithWord(
  text: string,
  end: number,
  pattern: RegExp,
  skip: number,
  window: number,
): boolean {
  return (
    hasLetter(text, end, Math.min(text.length, end + skip + 1)) && pattern.test(text.slice(end, end + window))
  );
}
