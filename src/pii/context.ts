// Context-word helpers: raise a detector's confidence when a telling word sits just before or after a span.

/** True when `before` matches the `window` characters preceding `start` or `after` the ones following `end`. */
export function hasContext(
  text: string,
  start: number,
  end: number,
  before: RegExp,
  after?: RegExp,
  window = 40,
): boolean {
  if (before.test(text.slice(Math.max(0, start - window), start))) return true;
  return after?.test(text.slice(end, end + 20)) === true;
}

/** Number of ASCII digits in `text`. */
export function countDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) n++;
  }
  return n;
}

/** `text` with everything but ASCII digits removed. */
export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}
