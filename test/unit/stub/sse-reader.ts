// A tiny incremental SSE reader for the stub's tests: checks every frame is well formed (an optional `event:` line,
// then exactly one `data:` line, then a blank line) and stamps when each arrived.
export interface TimedFrame {
  readonly event: string | undefined;
  readonly data: string;
  /** Milliseconds from `since` to the chunk that completed the frame. */
  readonly at: number;
}

function parseFrame(block: string, at: number): TimedFrame {
  const lines = block.split('\n');
  let event: string | undefined;
  if (lines[0]?.startsWith('event: ')) event = lines.shift()?.slice(7);
  if (lines.length !== 1 || !lines[0]?.startsWith('data: ')) {
    throw new Error(`malformed SSE frame ${JSON.stringify(block)}`);
  }
  return { event, data: lines[0].slice(6), at };
}

/** Reads the whole stream; throws on a malformed frame or a body that does not end with a complete frame. */
export async function readSse(res: Response, since: number): Promise<TimedFrame[]> {
  if (!res.body) throw new Error('no body');
  const frames: TimedFrame[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    const at = performance.now() - since;
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      frames.push(parseFrame(buffered.slice(0, end), at));
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
    }
  }
  if (buffered.length > 0) throw new Error(`SSE body ends mid-frame: ${JSON.stringify(buffered)}`);
  return frames;
}

/** The JSON data of the frames (all but a final `[DONE]`). */
export function jsonData(frames: readonly TimedFrame[]): Record<string, unknown>[] {
  return frames.filter((f) => f.data !== '[DONE]').map((f) => JSON.parse(f.data) as Record<string, unknown>);
}
