// Strict reader of the SSE bodies the router produces: frames of `event:` / `data:` lines ending in a blank line.
import type { ImmediateResult } from '../../../../src/mutations.ts';

export interface SseFrame {
  readonly event: string | undefined;
  readonly data: string;
}

/** Parses a whole SSE body; throws when a frame is not `[event: …\n]data: …\n\n` (the shape every API uses). */
export function parseSse(text: string): SseFrame[] {
  if (!text.endsWith('\n\n')) throw new Error('SSE body does not end with a blank line');
  const frames: SseFrame[] = [];
  for (const block of text.slice(0, -2).split('\n\n')) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ') && event === undefined && data.length === 0) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
      else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
    }
    if (data.length !== 1) throw new Error(`SSE frame with ${data.length} data lines`);
    frames.push({ event, data: data[0] as string });
  }
  return frames;
}

export function bodyText(result: ImmediateResult): string {
  return Buffer.from(result.body).toString('utf8');
}

export function header(result: ImmediateResult, name: string): string | undefined {
  return result.headers.find(([n]) => n === name)?.[1];
}

export function headersNamed(result: ImmediateResult, name: string): string[] {
  return result.headers.filter(([n]) => n === name).map(([, v]) => v);
}
