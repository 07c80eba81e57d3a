// The start and the end of a long text, for heuristic families whose cue opens or closes a request: reading the
// middle of a 64K-character message would stall the event loop for nothing.

/** `text` itself when short; else its first `head` and last `tail` characters joined by a line break. */
export function headAndTail(text: string, head: number, tail: number): string {
  if (text.length <= head + tail) return text;
  return `${text.slice(0, head)}\n${text.slice(-tail)}`;
}
