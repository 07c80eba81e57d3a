// A small Redis client over node:net speaking RESP2: pipelined commands answered in order, a timeout per command,
// AUTH / SELECT on connect, and reconnection with capped exponential backoff. Commands sent while disconnected fail
// at once (callers fall back to local state) instead of queueing behind an outage.
import { connect, type Socket } from 'node:net';

export type RespValue = string | number | null | RespValue[];

/** Redis answered with an error reply (`-ERR ...`). */
export class RespReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespReplyError';
  }
}

/** The command could not be answered: not connected, connection lost, or no answer within the timeout. */
export class RespUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RespUnavailableError';
  }
}

export interface RespClientOptions {
  readonly host: string;
  readonly port: number;
  readonly password?: string | undefined;
  readonly username?: string | undefined;
  readonly database?: number | undefined;
  /** Per command, from sending to its answer. */
  readonly commandTimeoutMs: number;
  /** TCP connect plus AUTH / SELECT. */
  readonly connectTimeoutMs: number;
  /** First reconnection delay; doubles per failed attempt up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Told when the connection comes up or goes down (not per failed attempt). */
  readonly onStateChange?: (up: boolean, cause?: Error) => void;
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const CRLF = '\r\n';

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}${CRLF}`), bytes, Buffer.from(CRLF));
  }
  return Buffer.concat(parts);
}

type Parsed = { value: RespValue | RespReplyError; end: number } | undefined;

/**
 * Where the reply starting at `start` ends, undefined when the buffer holds only part of it: a walk that decodes
 * nothing, so a large reply arriving in many chunks is decoded once, not once per chunk.
 */
export function replyEnd(buffer: Buffer, start: number): number | undefined {
  let position = start;
  let remaining = 1;
  while (remaining > 0) {
    const lineEnd = buffer.indexOf(CRLF, position);
    if (lineEnd < 0) return undefined;
    const type = buffer[position];
    const next = lineEnd + 2;
    remaining--;
    if (type === 0x24 /* $ */) {
      const length = Number(buffer.toString('latin1', position + 1, lineEnd));
      position = length < 0 ? next : next + length + 2;
      if (position > buffer.length) return undefined;
    } else {
      if (type === 0x2a /* * */)
        remaining += Math.max(0, Number(buffer.toString('latin1', position + 1, lineEnd)));
      position = next;
    }
  }
  return position;
}

/** Parses one reply starting at `start`; undefined when the buffer holds only part of it. */
export function parseReply(buffer: Buffer, start: number): Parsed {
  const lineEnd = buffer.indexOf(CRLF, start);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[start] as number);
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespReplyError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, position);
        if (!item) return undefined;
        // An error inside an array (EXEC of a failed command) is kept as its message.
        items.push(item.value instanceof RespReplyError ? item.value.message : item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`unexpected RESP reply type '${type}'`);
  }
}

export class RespClient {
  #socket: Socket | undefined;
  #up = false;
  #closed = false;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];
  #backoffMs: number;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #connecting: Promise<void> | undefined;
  readonly #options: RespClientOptions;

  constructor(options: RespClientOptions) {
    this.#options = options;
    this.#backoffMs = options.minBackoffMs ?? 100;
    const first = this.#connect();
    first.catch(() => undefined); // ready() reports it; reconnection goes on
    this.#connecting = first;
  }

  /** True while connected and authenticated. */
  get up(): boolean {
    return this.#up;
  }

  /** Resolves once connected; rejects if the first attempt fails (reconnection goes on regardless). */
  ready(): Promise<void> {
    return (
      this.#connecting ??
      (this.#up ? Promise.resolve() : Promise.reject(new RespUnavailableError('not connected')))
    );
  }

  /** Sends one command; rejects with RespReplyError on an error reply, RespUnavailableError when unanswered. */
  command(args: readonly (string | number)[]): Promise<RespValue> {
    if (!this.#up || !this.#socket) {
      return Promise.reject(new RespUnavailableError('redis is not connected'));
    }
    return this.#send(this.#socket, args);
  }

  /** Sends commands back to back in one write; answers in order. */
  pipeline(commands: readonly (readonly (string | number)[])[]): Promise<RespValue[]> {
    if (!this.#up || !this.#socket) {
      return Promise.reject(new RespUnavailableError('redis is not connected'));
    }
    const socket = this.#socket;
    const replies = commands.map(() => this.#enqueue());
    socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    this.#drop(new RespUnavailableError('redis client closed'));
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 200).unref();
      });
    }
  }

  #send(socket: Socket, args: readonly (string | number)[]): Promise<RespValue> {
    const reply = this.#enqueue();
    socket.write(encodeCommand(args));
    return reply;
  }

  #enqueue(): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      const entry: Pending = { resolve, reject, timer: undefined };
      // A command unanswered in time means the connection cannot be trusted to keep replies in order: drop it.
      entry.timer = setTimeout(() => {
        this.#socket?.destroy(
          new RespUnavailableError(`redis did not answer within ${this.#options.commandTimeoutMs} ms`),
        );
      }, this.#options.commandTimeoutMs);
      entry.timer.unref();
      this.#pending.push(entry);
    });
  }

  async #connect(): Promise<void> {
    const { host, port, connectTimeoutMs } = this.#options;
    const socket = connect({ host, port, noDelay: true });
    socket.setTimeout(connectTimeoutMs);
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined); // 'close' follows and carries the outcome
    socket.once('close', () => {
      const wasUp = this.#up;
      this.#up = false;
      if (this.#socket === socket) this.#socket = undefined;
      this.#drop(new RespUnavailableError('redis connection lost'));
      if (wasUp && !this.#closed)
        this.#options.onStateChange?.(false, new RespUnavailableError('redis connection lost'));
      this.#scheduleReconnect();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const onTimeout = () =>
          socket.destroy(new RespUnavailableError(`connect timeout to ${host}:${port}`));
        socket.once('timeout', onTimeout);
        socket.once('connect', () => {
          socket.off('timeout', onTimeout);
          resolve();
        });
        socket.once('close', () =>
          reject(new RespUnavailableError(`cannot connect to redis at ${host}:${port}`)),
        );
      });
      socket.setTimeout(0);
      const setup: (string | number)[][] = [];
      if (this.#options.password !== undefined) {
        setup.push(
          this.#options.username === undefined
            ? ['AUTH', this.#options.password]
            : ['AUTH', this.#options.username, this.#options.password],
        );
      }
      if (this.#options.database) setup.push(['SELECT', this.#options.database]);
      setup.push(['PING']);
      for (const args of setup) await this.#send(socket, args);
      this.#up = true;
      this.#backoffMs = this.#options.minBackoffMs ?? 100;
      this.#options.onStateChange?.(true);
    } catch (error) {
      socket.destroy();
      throw error instanceof Error ? error : new Error(String(error));
    } finally {
      this.#connecting = undefined;
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.maxBackoffMs ?? 5000);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      this.#connecting = this.#connect();
      this.#connecting.catch(() => undefined);
    }, delay);
    this.#reconnectTimer.unref();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let position = 0;
    for (;;) {
      let parsed: Parsed;
      try {
        parsed =
          replyEnd(this.#buffer, position) === undefined ? undefined : parseReply(this.#buffer, position);
      } catch (error) {
        this.#socket?.destroy(error as Error);
        return;
      }
      if (!parsed) break;
      position = parsed.end;
      const entry = this.#pending.shift();
      if (!entry) continue;
      clearTimeout(entry.timer);
      if (parsed.value instanceof RespReplyError) entry.reject(parsed.value);
      else entry.resolve(parsed.value);
    }
    this.#buffer = position >= this.#buffer.length ? Buffer.alloc(0) : this.#buffer.subarray(position);
  }

  #drop(error: Error): void {
    for (const entry of this.#pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }
}
