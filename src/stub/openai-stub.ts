// A tiny OpenAI-compatible upstream that stands in for one GPU pool's serving engine (docker compose, end-to-end
// tests): answers chat completions (JSON or SSE) saying which pool and model answered, and /health.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface StubOptions {
  /** Pool this stub plays (echoed in `x-stub-pool` and in every answer). */
  readonly pool: string;
}

interface ChatRequest {
  model?: unknown;
  stream?: unknown;
  messages?: { role?: unknown; content?: unknown }[];
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, code: string): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', code } });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function lastUserText(request: ChatRequest): string {
  const user = [...(request.messages ?? [])].reverse().find((m) => m.role === 'user');
  const content = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
  return content.length > 80 ? `${content.slice(0, 77)}...` : content;
}

function chatCompletion(req: IncomingMessage, res: ServerResponse, request: ChatRequest, pool: string): void {
  const model = typeof request.model === 'string' ? request.model : 'unknown';
  const text = `[${pool}] ${model} answered: ${lastUserText(request)}`;
  const id = `chatcmpl-stub-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = {
    prompt_tokens: 10,
    completion_tokens: text.split(' ').length,
    total_tokens: 10 + text.split(' ').length,
  };
  const headers = {
    'x-stub-pool': pool,
    'x-stub-model': model,
    // What the gateway said it routed: lets a test see the router's headers reached the upstream.
    'x-stub-selected-pool': String(req.headers['x-selected-pool'] ?? ''),
  };
  if (request.stream !== true) {
    sendJson(
      res,
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage,
      },
      headers,
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  const chunk = (
    delta: Record<string, unknown>,
    finish: string | null,
    extra: Record<string, unknown> = {},
  ) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }, null));
  for (const word of text.split(/(?<= )/)) res.write(chunk({ content: word }, null));
  res.write(chunk({}, 'stop', { usage }));
  res.end('data: [DONE]\n\n');
}

async function handle(req: IncomingMessage, res: ServerResponse, pool: string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stub');
  if (req.method === 'GET' && url.pathname === '/health') {
    sendJson(res, 200, { status: 'ok', pool }, { 'x-stub-pool': pool });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/v1/models') {
    sendJson(res, 200, { object: 'list', data: [] }, { 'x-stub-pool': pool });
    return;
  }
  if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
    sendError(res, 404, `${req.method} ${url.pathname} is not served by this stub`, 'not_found');
    return;
  }
  let request: ChatRequest;
  try {
    request = JSON.parse(await readBody(req)) as ChatRequest;
  } catch {
    sendError(res, 400, 'request body is not valid JSON', 'invalid_json');
    return;
  }
  if (typeof request !== 'object' || request === null || !Array.isArray(request.messages)) {
    sendError(res, 400, 'messages must be a list', 'invalid_request');
    return;
  }
  chatCompletion(req, res, request, pool);
}

export function createStubServer(options: StubOptions): Server {
  return createServer((req, res) => {
    handle(req, res, options.pool).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, (error as Error).message, 'stub_error');
      else res.destroy();
    });
  });
}
