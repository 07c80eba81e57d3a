// The admin HTTP server, on its own port apart from gRPC: /healthz, /readyz, /metrics, /policy and /replay.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ReplayStore } from '../plugins/replay-store.ts';
import type { FeedbackInput, FeedbackResult } from '../selection/online/feedback.ts';
import { errorFields, type Logger } from '../telemetry/logger.ts';
import type { PolicyView } from './policy-view.ts';
import type { ReadinessReport } from './readiness.ts';

/** Serves the Prometheus text exposition (e.g. PrometheusExporter.getMetricsRequestHandler). */
export type MetricsHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface AdminServerOptions {
  readonly readiness: () => ReadinessReport;
  /** The live policy; undefined while the first one is still loading. */
  readonly policy: () => PolicyView | undefined;
  /** Absent: /metrics answers 404. */
  readonly metrics?: MetricsHandler;
  /** Each pool's live state (in flight, latency, errors, breaker, scraped load); absent: /pools answers 404. */
  readonly pools?: () => unknown;
  /** POST /feedback: explicit feedback for a learning algorithm (FeedbackInput); undefined: no policy yet. */
  readonly feedback?: (input: FeedbackInput) => Promise<FeedbackResult | undefined>;
  /** GET /replay and /replay/<request-id>: the router_replay plugin's records; absent: 404. */
  readonly replay?: ReplayStore;
  /** GET /cache: the response cache's counters; POST /cache/flush[?scope=tenant:<id>]: drops entries. */
  readonly responseCache?: ResponseCacheAdmin;
  readonly logger: Logger;
}

/** What the admin endpoint needs of the response cache. */
export interface ResponseCacheAdmin {
  snapshot(): unknown;
  /** Drops entries here and in the shared state store; what it dropped (`flushed`: this replica's entries). */
  flush(scope?: string): Promise<{ readonly flushed: number }>;
}

const CACHE_PATH = '/cache';
const CACHE_FLUSH_PATH = '/cache/flush';

export const ADMIN_PATHS = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/policy',
  '/pools',
  '/feedback',
  '/replay',
  '/cache',
  '/cache/flush',
] as const;
const MAX_FEEDBACK_BODY_BYTES = 16 * 1024;
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
// Open keep-alive connections (Prometheus keeps one per target) must not hold up shutdown for long.
const CLOSE_TIMEOUT_MS = 1000;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

export class AdminServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: AdminServerOptions) {
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Binds host:port (port 0 picks a free one) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) =>
          this.options.logger.error('admin server error', errorFields(error)),
        );
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      const timer = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, CLOSE_TIMEOUT_MS);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    try {
      this.route(request, response);
    } catch (error) {
      this.options.logger.error('admin request failed', { path: pathOf(request), ...errorFields(error) });
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    }
  }

  /**
   * POST {request_id, score} or {decision, winner_model, loser_model, tie?}: 200 accepted, 400 bad input, 404 unknown
   * (or expired) request or decision, 409 already rated or not a learning decision.
   */
  private async feedback(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendJson(response, 405, { error: `method ${request.method} not allowed; use POST` });
      request.resume();
      return;
    }
    if (!this.options.feedback) {
      sendJson(response, 404, { error: 'feedback is not enabled' });
      request.resume();
      return;
    }
    const text = await readBody(request, MAX_FEEDBACK_BODY_BYTES);
    if (text === undefined) {
      sendJson(response, 413, { error: `body larger than ${MAX_FEEDBACK_BODY_BYTES} bytes` });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendJson(response, 400, {
        error:
          'body must be a JSON object: {"request_id", "score": 0..1} or {"decision", "winner_model", "loser_model"}',
      });
      return;
    }
    const result = await this.options.feedback(body as FeedbackInput);
    if (!result) {
      sendJson(response, 503, { error: 'the policy is still loading' });
      return;
    }
    if (result.ok)
      sendJson(response, 200, { status: 'accepted', decision: result.decision, model: result.model });
    else sendJson(response, result.status, { error: result.message, code: result.code });
  }

  /**
   * The router_replay records, newest first, or one by request id. Bodies appear only where the policy asked to
   * capture them; credential headers were never recorded.
   */
  private replay(request: IncomingMessage, response: ServerResponse, path: string): void {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: `method ${request.method} not allowed; use GET` });
      return;
    }
    const store = this.options.replay;
    if (!store) {
      sendJson(response, 404, { error: 'router replay is not enabled' });
      return;
    }
    if (path === REPLAY_PATH) {
      const records = store.list();
      sendJson(response, 200, { count: records.length, records });
      return;
    }
    let id: string;
    try {
      id = decodeURIComponent(path.slice(REPLAY_PATH.length + 1));
    } catch {
      sendJson(response, 400, { error: 'malformed request id' });
      return;
    }
    const record = store.get(id);
    if (record) sendJson(response, 200, record);
    else sendJson(response, 404, { error: `no replay record for request id '${id}'` });
  }

  /** GET /cache: counters and size; POST /cache/flush with `scope` (global, tenant:<id>, user:<id>) or everything. */
  private cache(request: IncomingMessage, response: ServerResponse, path: string): void {
    const cache = this.options.responseCache;
    const method = path === CACHE_FLUSH_PATH ? 'POST' : 'GET';
    if (request.method !== method && !(method === 'GET' && request.method === 'HEAD')) {
      response.setHeader('allow', method === 'GET' ? 'GET, HEAD' : 'POST');
      sendJson(response, 405, { error: `method ${request.method} not allowed; use ${method}` });
      request.resume();
      return;
    }
    request.resume();
    if (!cache) {
      sendJson(response, 404, { error: 'the response cache is not enabled' });
      return;
    }
    if (path === CACHE_PATH) {
      sendJson(response, 200, cache.snapshot());
      return;
    }
    const scope = new URL(request.url ?? '/', 'http://admin').searchParams.get('scope') ?? undefined;
    cache.flush(scope).then(
      (result) => sendJson(response, 200, { ...result, scope: scope ?? 'all' }),
      (error: unknown) => {
        this.options.logger.error('admin cache flush failed', errorFields(error));
        sendJson(response, 500, { error: 'internal error' });
      },
    );
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const path = pathOf(request);
    if (path === CACHE_PATH || path === CACHE_FLUSH_PATH) {
      this.cache(request, response, path);
      return;
    }
    if (path === REPLAY_PATH || path.startsWith(`${REPLAY_PATH}/`)) {
      this.replay(request, response, path);
      return;
    }
    if (!(ADMIN_PATHS as readonly string[]).includes(path)) {
      sendJson(response, 404, { error: `no admin endpoint ${path}`, endpoints: ADMIN_PATHS });
      return;
    }
    if (path === '/feedback') {
      this.feedback(request, response).catch((error: unknown) => {
        this.options.logger.error('admin feedback failed', errorFields(error));
        if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: `method ${request.method} not allowed; use GET` });
      return;
    }
    switch (path) {
      case '/healthz':
        sendJson(response, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const report = this.options.readiness();
        sendJson(response, report.ready ? 200 : 503, {
          status: report.ready ? 'ready' : 'not_ready',
          ...report,
        });
        return;
      }
      case '/metrics':
        if (!this.options.metrics) {
          sendJson(response, 404, { error: 'metrics are not enabled' });
          return;
        }
        this.options.metrics(request, response);
        // The exporter sets a bare `text/plain` synchronously; name the exposition format version precisely.
        if (!response.headersSent) response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
        return;
      case '/policy': {
        const view = this.options.policy();
        if (view) sendJson(response, 200, view);
        else sendJson(response, 503, { error: 'the policy is still loading' });
        return;
      }
      case '/pools':
        if (this.options.pools) sendJson(response, 200, this.options.pools());
        else sendJson(response, 404, { error: 'pool state is not available' });
        return;
    }
  }
}

const REPLAY_PATH = '/replay';

function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The request path without the query string; never throws on malformed targets. */
function pathOf(request: IncomingMessage): string {
  const target = request.url ?? '/';
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}
