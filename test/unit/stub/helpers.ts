// Starts stub model servers on port 0 for the stub's tests and reads what they expose (state, /metrics).
import type { AddressInfo } from 'node:net';
import { createStubServer, type StubOptions, type StubState } from '../../../src/stub/openai-stub.ts';

export interface RunningStub {
  readonly base: string;
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response>;
  state(): Promise<StubState>;
  fault(patch: unknown, method?: 'POST' | 'DELETE'): Promise<Response>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

const running = new Set<RunningStub>();

export async function startStub(options: StubOptions): Promise<RunningStub> {
  const server = createStubServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stub: RunningStub = {
    base,
    post: (path, body, headers = {}, signal) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...(signal ? { signal } : {}),
      }),
    state: async () => (await (await fetch(`${base}/stub/state`)).json()) as StubState,
    fault: (patch, method = 'POST') =>
      fetch(`${base}/stub/fault`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify(patch) } : {}),
      }),
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    close: async () => {
      running.delete(stub);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  running.add(stub);
  return stub;
}

/** For `afterEach`: closes every stub a test started. */
export async function closeStubs(): Promise<void> {
  await Promise.all([...running].map((stub) => stub.close()));
}

/** Polls `read` until `done` holds; a liveness wait (generous deadline), not a timing assertion. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Value of the sample `name{labels}` in a Prometheus text body (labels as written, in order), or undefined. */
export function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export const CHAT = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'Qwen/Qwen3-8B',
  messages: [{ role: 'user', content }],
  ...extra,
});

/** A minimal request of each API whose last user text is `text`. */
export function requestOf(
  path: string,
  text: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  switch (path) {
    case '/v1/chat/completions':
      return CHAT(text, extra);
    case '/v1/completions':
      return { model: 'Qwen/Qwen3-8B', prompt: text, ...extra };
    case '/v1/responses':
      return { model: 'Qwen/Qwen3-8B', input: text, ...extra };
    case '/v1/messages':
      return {
        model: 'Qwen/Qwen3-8B',
        max_tokens: 64,
        messages: [{ role: 'user', content: text }],
        ...extra,
      };
    default:
      throw new Error(`no request shape for ${path}`);
  }
}

export const API_PATHS = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/responses',
  '/v1/messages',
] as const;

type Json = Record<string, unknown>;
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);

/** The answer text of a JSON answer of the API served on `path`. */
export function jsonText(path: string, body: Json): string {
  switch (path) {
    case '/v1/chat/completions':
      return String(at(body, 'choices', 0, 'message', 'content'));
    case '/v1/completions':
      return String(at(body, 'choices', 0, 'text'));
    case '/v1/responses':
      return String(at(body, 'output', 0, 'content', 0, 'text'));
    default:
      return String(at(body, 'content', 0, 'text'));
  }
}

/** Prompt and completion tokens of a JSON answer, whatever the API calls them. */
export function jsonUsage(path: string, body: Json): { prompt: number; completion: number } {
  const usage = body.usage as Json;
  return path === '/v1/chat/completions' || path === '/v1/completions'
    ? { prompt: Number(usage.prompt_tokens), completion: Number(usage.completion_tokens) }
    : { prompt: Number(usage.input_tokens), completion: Number(usage.output_tokens) };
}

/** The text deltas of a streamed answer of the API served on `path`, in order. */
export function streamedDeltas(
  path: string,
  frames: readonly { event: string | undefined; data: string }[],
): string[] {
  const deltas: string[] = [];
  for (const frame of frames) {
    if (frame.data === '[DONE]') continue;
    const data = JSON.parse(frame.data) as Json;
    let delta: unknown;
    if (path === '/v1/chat/completions') delta = at(data, 'choices', 0, 'delta', 'content');
    else if (path === '/v1/completions') delta = at(data, 'choices', 0, 'text');
    else if (frame.event === 'response.output_text.delta') delta = data.delta;
    else if (frame.event === 'content_block_delta') delta = at(data, 'delta', 'text');
    if (typeof delta === 'string' && delta.length > 0) deltas.push(delta);
  }
  return deltas;
}

export function words(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}
