// A small OpenAI- and Anthropic-compatible model server standing in for one GPU pool's serving engine (docker compose,
// end-to-end, load and failover tests): answers chat completions, legacy completions, Responses and Anthropic
// Messages (JSON or SSE) saying which pool and model answered, with realistic usage. It can be made slow
// (time to first token, decode speed, answer length), small (a FIFO queue behind a concurrency limit, reported on a
// vLLM-style /metrics) and faulty (error statuses, sockets reset mid-answer, requests that hang), at start or at
// runtime through `POST /stub/fault`, so a test can make a pool fail and recover without restarting it.
//
//   GET  /health              {status: 'ok', pool}
//   GET  /v1/models           the served model (`model` option), if any
//   GET  /metrics             Prometheus text: vllm:num_requests_running / _waiting, vllm:gpu_cache_usage_perc, ...
//   GET  /stub/state          settings, load and counters as JSON
//   POST /stub/fault          change settings (any subset of StubSettings); answers the new state
//   DELETE /stub/fault        back to the settings the stub started with
//   POST /v1/chat/completions, /v1/completions, /v1/responses, /v1/messages
//
// Tests may also steer one request with the x-stub-ttft-ms, x-stub-tokens and x-stub-status headers (./headers.ts);
// they exist for tests only, a real engine has nothing like them.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError } from '../errors.ts';
import { HEADER } from '../headers.ts';
import { apiForPath, parseLlmRequest } from '../request/apis/index.ts';
import type { LlmApi, ParsedRequest } from '../request/apis/types.ts';
import { seededRandom } from '../seeded-random.ts';
import { type Answer, buildAnswer, errorBody, type Usage } from './answers.ts';
import { STUB_RESPONSE_HEADER } from './headers.ts';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type StubLoad } from './metrics.ts';
import { FifoLimiter } from './queue.ts';
import {
  type FaultMode,
  type ParsedStubOptions,
  parseSettingsPatch,
  parseStubOptions,
  type RequestOverrides,
  readOverrides,
  type StubOptions,
  type StubSettings,
} from './settings.ts';

export { STUB_REQUEST_HEADER, STUB_RESPONSE_HEADER } from './headers.ts';
export {
  DEFAULT_SETTINGS,
  FAULT_MODES,
  type FaultMode,
  type SettingsPatch,
  type StubOptions,
  type StubSettings,
} from './settings.ts';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/** What `GET /stub/state` (and `POST`/`DELETE /stub/fault`) answer. */
export interface StubState {
  readonly pool: string;
  readonly model: string | null;
  /** null: unlimited. */
  readonly maxConcurrency: number | null;
  readonly settings: StubSettings;
  readonly running: number;
  readonly waiting: number;
  /** LLM API requests since the settings last changed (what `failAfter` counts). */
  readonly requestsSinceChange: number;
  /** Finished LLM API requests by outcome: the HTTP status, `reset` or `aborted` (the client left first). */
  readonly served: Readonly<Record<string, number>>;
  readonly promptTokens: number;
  readonly generationTokens: number;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    [HEADER.contentType]: 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, code: string): void {
  sendJson(res, status, errorBody('chat_completions', status, message, code));
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed the request'));
    });
  });
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

interface Timing {
  readonly ttftMs: number;
  readonly tokensPerSecond: number;
}

/**
 * Writes an answer as a decoding engine would: headers and the first piece at `ttftMs` after admission, each
 * later piece once its last token is ready (token i at `ttftMs + i / tokensPerSecond`); pieces ready together
 * go out in one write. `cutAt`: stop after that many body bytes, leaving the answer unfinished (`cut`).
 */
async function deliver(
  res: ServerResponse,
  answer: Answer,
  headers: Record<string, string>,
  timing: Timing,
  signal: AbortSignal,
  cutAt: number | undefined,
): Promise<'done' | 'cut'> {
  const start = performance.now();
  const readyAt: number[] = [];
  let tokens = 0;
  for (const piece of answer.pieces) {
    tokens += piece.tokens;
    const decode = timing.tokensPerSecond > 0 ? (Math.max(0, tokens - 1) * 1000) / timing.tokensPerSecond : 0;
    readyAt.push(timing.ttftMs + decode);
  }
  const bodies = answer.pieces.map((piece) => Buffer.from(piece.data, 'utf8'));
  const total = bodies.reduce((sum, b) => sum + b.length, 0);
  const stream = answer.contentType === 'text/event-stream';
  let sent = 0;
  let i = 0;
  while (i < bodies.length) {
    const wait = start + (readyAt[i] as number) - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal });
    const elapsed = performance.now() - start;
    const batch: Buffer[] = [];
    while (i < bodies.length && (readyAt[i] as number) <= elapsed) batch.push(bodies[i++] as Buffer);
    if (batch.length === 0) continue;
    if (!res.headersSent) {
      res.writeHead(200, {
        [HEADER.contentType]: answer.contentType,
        ...(stream ? { 'cache-control': 'no-cache' } : { 'content-length': String(total) }),
        ...headers,
      });
    }
    const chunk = Buffer.concat(batch);
    if (cutAt !== undefined && sent + chunk.length >= cutAt) {
      // Flushed before the caller destroys the socket, or the client would see no answer at all.
      const flushed = new Promise<void>((resolve) =>
        res.write(chunk.subarray(0, cutAt - sent), () => resolve()),
      );
      await Promise.race([flushed, untilAborted(signal)]);
      return 'cut';
    }
    sent += chunk.length;
    if (!res.write(chunk)) await once(res, 'drain', { signal });
  }
  res.end();
  return 'done';
}

/** One stub server's state: its settings, queue and counters. */
class Stub {
  readonly #options: ParsedStubOptions;
  readonly #random: () => number;
  readonly #limiter: FifoLimiter;
  readonly #served = new Map<string, number>();
  #settings: StubSettings;
  #sinceChange = 0;
  #promptTokens = 0;
  #generationTokens = 0;

  constructor(options: ParsedStubOptions) {
    this.#options = options;
    this.#settings = options.settings;
    this.#random = options.seed === undefined ? Math.random : seededRandom(options.seed);
    this.#limiter = new FifoLimiter(options.maxConcurrency);
  }

  state(): StubState {
    const { pool, model, maxConcurrency } = this.#options;
    return {
      pool,
      model: model ?? null,
      maxConcurrency: Number.isFinite(maxConcurrency) ? maxConcurrency : null,
      settings: this.#settings,
      running: this.#limiter.running,
      waiting: this.#limiter.waiting,
      requestsSinceChange: this.#sinceChange,
      served: Object.fromEntries(this.#served),
      promptTokens: this.#promptTokens,
      generationTokens: this.#generationTokens,
    };
  }

  load(): StubLoad {
    return {
      running: this.#limiter.running,
      waiting: this.#limiter.waiting,
      maxConcurrency: this.#limiter.limit,
      served: this.#served,
      promptTokens: this.#promptTokens,
      generationTokens: this.#generationTokens,
    };
  }

  #setSettings(settings: StubSettings): void {
    this.#settings = settings;
    this.#sinceChange = 0;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stub');
    const { pool, model } = this.#options;
    const poolHeader = { [STUB_RESPONSE_HEADER.pool]: pool };
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /health':
        sendJson(res, 200, { status: 'ok', pool }, poolHeader);
        return;
      case 'GET /v1/models':
        sendJson(
          res,
          200,
          {
            object: 'list',
            data: model === undefined ? [] : [{ id: model, object: 'model', owned_by: pool }],
          },
          poolHeader,
        );
        return;
      case 'GET /metrics': {
        const text = renderMetrics(model ?? pool, this.load());
        res.writeHead(200, { [HEADER.contentType]: PROMETHEUS_CONTENT_TYPE, ...poolHeader });
        res.end(text);
        return;
      }
      case 'GET /stub/state':
        sendJson(res, 200, this.state(), poolHeader);
        return;
      case 'POST /stub/fault': {
        const body = parseJsonObject(await readBody(req, MAX_ADMIN_BODY_BYTES));
        const parsed = parseSettingsPatch(body);
        if (!parsed.ok) {
          sendError(res, 400, `invalid fault settings: ${parsed.message}`, 'invalid_request');
          return;
        }
        this.#setSettings({ ...this.#settings, ...parsed.patch });
        sendJson(res, 200, this.state(), poolHeader);
        return;
      }
      case 'DELETE /stub/fault':
        this.#setSettings(this.#options.settings);
        sendJson(res, 200, this.state(), poolHeader);
        return;
    }
    const api = apiForPath(url.pathname);
    if (req.method === 'POST' && api !== undefined) {
      await this.#answer(req, res, api);
      return;
    }
    sendError(res, 404, `${req.method} ${url.pathname} is not served by this stub`, 'not_found');
  }

  /** Whether this request fails, and how: the test header first, then `failAfter`, then an `errorRate` draw. */
  #fault(
    settings: StubSettings,
    overrides: RequestOverrides,
  ): { mode: FaultMode; status: number } | undefined {
    // One draw per request whatever decides, so a seeded sequence does not shift with the settings.
    const draw = this.#random();
    const index = this.#sinceChange++;
    if (overrides.status !== undefined) {
      return overrides.status === 200 ? undefined : { mode: 'status', status: overrides.status };
    }
    const failing = (settings.failAfter !== null && index >= settings.failAfter) || draw < settings.errorRate;
    return failing ? { mode: settings.mode, status: settings.errorStatus } : undefined;
  }

  #count(outcome: string, usage: Usage | undefined): void {
    this.#served.set(outcome, (this.#served.get(outcome) ?? 0) + 1);
    if (usage !== undefined) {
      this.#promptTokens += usage.promptTokens;
      this.#generationTokens += usage.completionTokens;
    }
  }

  async #answer(req: IncomingMessage, res: ServerResponse, api: LlmApi): Promise<void> {
    const settings = this.#settings;
    const { pool } = this.#options;
    const aborted = new AbortController();
    let usage: Usage | undefined;
    let reset = false;
    res.once('close', () => {
      if (res.writableFinished)
        this.#count(String(res.statusCode), res.statusCode === 200 ? usage : undefined);
      else {
        aborted.abort();
        this.#count(reset ? 'reset' : 'aborted', undefined);
      }
    });
    const poolHeader = { [STUB_RESPONSE_HEADER.pool]: pool };
    const fail = (status: number, message: string, code: string) =>
      sendJson(res, status, errorBody(api, status, message, code), poolHeader);

    const text = await readBody(req, MAX_BODY_BYTES);
    let overrides: RequestOverrides;
    try {
      overrides = readOverrides(req.headers);
    } catch (error) {
      fail(400, (error as Error).message, 'invalid_stub_header');
      return;
    }
    const fault = this.#fault(settings, overrides);
    if (fault?.mode === 'status') {
      fail(fault.status, `stub fault: ${pool} answers ${fault.status}`, 'stub_fault');
      return;
    }
    const body = parseJsonObject(text);
    if (body === undefined) {
      fail(400, 'request body must be a JSON object', 'invalid_json');
      return;
    }
    // A request without a model gets the served one, as vLLM does.
    if (body.model === undefined) body.model = this.#options.model ?? 'unknown';
    let request: ParsedRequest;
    try {
      request = parseLlmRequest(api, body);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      fail(400, error.message, error.code);
      return;
    }

    const release = await this.#limiter.acquire(aborted.signal);
    if (release === undefined) return;
    try {
      if (fault?.mode === 'hang') {
        await untilAborted(aborted.signal);
        return;
      }
      const answer = buildAnswer(
        api,
        request,
        pool,
        overrides.completionTokens ?? settings.completionTokens,
        this.#options.modelLogprobs[request.model],
      );
      usage = answer.usage;
      const headers = {
        ...poolHeader,
        [STUB_RESPONSE_HEADER.model]: request.model,
        [STUB_RESPONSE_HEADER.selectedPool]: String(req.headers[HEADER.selectedPool] ?? ''),
      };
      const timing = {
        ttftMs: overrides.ttftMs ?? settings.ttftMs,
        tokensPerSecond: settings.tokensPerSecond,
      };
      const total = answer.pieces.reduce((sum, p) => sum + Buffer.byteLength(p.data), 0);
      const cutAt = fault?.mode === 'reset' ? Math.max(1, Math.floor(total / 2)) : undefined;
      if ((await deliver(res, answer, headers, timing, aborted.signal, cutAt)) === 'cut') {
        // A `reset` fault: the connection dies mid-answer, as when an engine crashes.
        reset = true;
        res.destroy();
      }
    } catch (error) {
      // The client left mid-answer: nothing more to send.
      if (!aborted.signal.aborted) throw error;
    } finally {
      release();
    }
  }
}

/**
 * A stub model server for one pool; listen on it as on any `http.Server`. Throws a RangeError for invalid
 * options. Hung and paced requests end when their client leaves: close with `closeAllConnections()` as well.
 */
export function createStubServer(options: StubOptions): Server {
  const stub = new Stub(parseStubOptions(options));
  return createServer((req, res) => {
    stub.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, (error as Error).message, 'stub_error');
      else res.destroy();
    });
  });
}
