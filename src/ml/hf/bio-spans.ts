// Entity spans from per-token labels: BIO (also BIOES/BILOU) and plain IO tagging, merged over subword pieces.
import type { EntitySpan } from '../span-model.ts';
import type { TokenOffset } from './token-offsets.ts';

/** A token's winning label and its probability, with the token's offsets in the text. */
export interface TaggedToken {
  readonly label: string;
  readonly score: number;
  readonly offset: TokenOffset;
}

interface ParsedLabel {
  /** Entity type without prefix; undefined for `O`. */
  readonly entity: string | undefined;
  /** B starts, I continues, E ends, S is a whole entity; plain labels (IO tagging) continue. */
  readonly role: 'B' | 'I' | 'E' | 'S';
}

const ROLES: Readonly<Record<string, ParsedLabel['role']>> = {
  B: 'B',
  I: 'I',
  E: 'E',
  L: 'E',
  S: 'S',
  U: 'S',
};

/** `B-PER` → PER/B, `I-LOC` → LOC/I, `PERSON` → PERSON/I, `O` → outside. */
export function parseEntityLabel(label: string): ParsedLabel {
  if (label === 'O' || label === '') return { entity: undefined, role: 'I' };
  const match = /^([BIELSU])[-_](.+)$/.exec(label);
  const role = match === null ? undefined : ROLES[match[1] as string];
  if (match === null || role === undefined) return { entity: label, role: 'I' };
  return { entity: match[2], role };
}

/** Entity labels without prefixes, in first-seen order, `O` left out. */
export function entityTypes(labels: readonly string[]): string[] {
  const out = new Set<string>();
  for (const label of labels) {
    const { entity } = parseEntityLabel(label);
    if (entity !== undefined) out.add(entity);
  }
  return [...out];
}

interface OpenSpan {
  label: string;
  start: number;
  end: number;
  scores: number[];
}

function toSpan(open: OpenSpan): EntitySpan {
  const score = open.scores.reduce((a, b) => a + b, 0) / open.scores.length;
  return { label: open.label, start: open.start, end: open.end, score: Math.min(1, Math.max(0, score)) };
}

/**
 * Spans of the tagged tokens (in text order). A span continues over I/E tokens of its type and over any token of
 * its type that touches the previous one (a subword piece of the same word); its score is the mean of its tokens'.
 * The result is sorted by start and non-overlapping (on overlap, the higher score wins).
 */
export function decodeEntitySpans(tokens: readonly TaggedToken[]): EntitySpan[] {
  const spans: EntitySpan[] = [];
  let open: OpenSpan | undefined;
  const close = (): void => {
    if (open !== undefined) spans.push(toSpan(open));
    open = undefined;
  };
  for (const token of tokens) {
    const { entity, role } = parseEntityLabel(token.label);
    if (entity === undefined) {
      close();
      continue;
    }
    const [start, end] = token.offset;
    const sameType = open !== undefined && open.label === entity;
    const touches = open !== undefined && start <= open.end;
    if (open !== undefined && sameType && (role === 'I' || role === 'E' || touches)) {
      open.end = Math.max(open.end, end);
      open.scores.push(token.score);
    } else {
      close();
      open = { label: entity, start, end, scores: [token.score] };
    }
    if (role === 'E' || role === 'S') close();
  }
  close();
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: EntitySpan[] = [];
  for (const span of spans) {
    const last = out[out.length - 1];
    if (last === undefined || span.start >= last.end) out.push(span);
    else if (span.score > last.score) out[out.length - 1] = span;
  }
  return out;
}
