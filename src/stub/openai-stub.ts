// A tiny OpenAI- and Anthropic-compatible upstream that stands in for one GPU pool's serving engine (docker compose,
// end-to-end tests): answers chat completions, Responses and Anthropic Messages (JSON or SSE) saying which pool and
// model answered, and /health.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { InvalidRequestError } from '../errors.ts';
import { sseFrame } from '../request/apis/answers.ts';
import { anthropicErrorType, anthropicEvents, anthropicMessage } from '../request/apis/anthropic-messages.ts';
import { parseLlmRequest } from '../request/apis/index.ts';
import { responseEvents, responseObject } from '../request/apis/responses.ts';
import type { ParsedRequest } from '../request/apis/types.ts';

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

/** The APIs the stub serves besides chat completions, by path. */
const API_PATHS: ReadonlyMap<string, 'responses' | 'messages'> = new Map([
  ['/v1/responses', 'responses'],
  ['/v1/messages', 'messages'],
]);

function sendApiError(
  res: ServerResponse,
  api: 'responses' | 'messages',
  message: string,
  code: string,
): void {
  if (api === 'messages') {
    sendJson(res, 400, { type: 'error', error: { type: anthropicErrorType(400), message } });
  } else {
    sendJson(res, 400, { error: { message, type: 'invalid_request_error', code, param: null } });
  }
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
  const headers = stubHeaders(req, pool, model);
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

function stubHeaders(req: IncomingMessage, pool: string, model: string): Record<string, string> {
  return {
    'x-stub-pool': pool,
    'x-stub-model': model,
    // What the gateway said it routed: lets a test see the router's headers reached the upstream.
    'x-stub-selected-pool': String(req.headers['x-selected-pool'] ?? ''),
  };
}

function lastUserMessageText(request: ParsedRequest): string {
  const text = request.messages.findLast((m) => m.role === 'user')?.text ?? '';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Answers a Responses or Anthropic Messages request in that API's shape, streaming its events one by one. */
function apiAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  api: 'responses' | 'messages',
  request: ParsedRequest,
  pool: string,
): void {
  const { model } = request;
  const text = `[${pool}] ${model} answered: ${lastUserMessageText(request)}`;
  const usage = { inputTokens: 10, outputTokens: text.split(' ').length };
  const id = Date.now().toString(36);
  const headers = stubHeaders(req, pool, model);
  if (api === 'responses') {
    const options = {
      id: `resp_stub${id}`,
      messageId: `msg_stub${id}`,
      createdAt: Math.floor(Date.now() / 1000),
      model,
      text,
      usage,
    };
    if (request.stream) streamEvents(res, headers, responseEvents(options));
    else sendJson(res, 200, responseObject(options), headers);
    return;
  }
  const options = { id: `msg_stub${id}`, model, text, usage };
  if (request.stream) streamEvents(res, headers, anthropicEvents(options));
  else sendJson(res, 200, anthropicMessage(options), headers);
}

function streamEvents(
  res: ServerResponse,
  headers: Record<string, string>,
  events: readonly { event: string; data: unknown }[],
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  for (const { event, data } of events) res.write(sseFrame(event, data));
  res.end();
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
  const api = API_PATHS.get(url.pathname);
  if (req.method === 'POST' && api !== undefined) {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      sendApiError(res, api, 'request body is not valid JSON', 'invalid_json');
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendApiError(res, api, 'request body must be a JSON object', 'invalid_request');
      return;
    }
    let request: ParsedRequest;
    try {
      request = parseLlmRequest(api, body as Record<string, unknown>);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      sendApiError(res, api, error.message, error.code);
      return;
    }
    apiAnswer(req, res, api, request, pool);
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
