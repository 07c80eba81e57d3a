// Building blocks of the router's own answers (JSON bodies, SSE streams, errors) shared by the API adapters.
import { randomBytes } from 'node:crypto';
import { HEADER, type ResponsePath } from '../../headers.ts';
import type { HeaderPair, ImmediateResult } from '../../mutations.ts';
import type { ErrorAnswer } from './types.ts';

/** Response header carrying the router's stable error code (src/errors.ts) on every error answer, for every API. */
export const ROUTER_ERROR_CODE_HEADER = HEADER.routerErrorCode;

export function jsonAnswer(
  status: number,
  payload: unknown,
  details: string,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  return {
    kind: 'immediate',
    status,
    headers: [[HEADER.contentType, 'application/json'], ...extraHeaders],
    body: Buffer.from(JSON.stringify(payload), 'utf8'),
    details,
  };
}

export function sseAnswer(
  frames: readonly string[],
  details: string,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  return {
    kind: 'immediate',
    status: 200,
    headers: [[HEADER.contentType, 'text/event-stream'], ['cache-control', 'no-cache'], ...extraHeaders],
    body: Buffer.from(frames.join(''), 'utf8'),
    details,
  };
}

/** One SSE frame: `event:` line when named (Responses, Anthropic), then one `data:` line of JSON. */
export function sseFrame(event: string | undefined, data: unknown): string {
  const json = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${json}\n\n` : `event: ${event}\ndata: ${json}\n\n`;
}

/** Splits a message into deltas of about `size` characters at whitespace, as a model streams it. */
export function textDeltas(text: string, size = 48): string[] {
  const deltas: string[] = [];
  let current = '';
  for (const word of text.split(/(?<=\s)/)) {
    if (current.length > 0 && current.length + word.length > size) {
      deltas.push(current);
      current = '';
    }
    current += word;
  }
  if (current.length > 0) deltas.push(current);
  return deltas;
}

/** A fresh id with the API's prefix (`chatcmpl-`, `resp_`, `msg_`, …). */
export function answerId(prefix: string): string {
  return `${prefix}router${randomBytes(12).toString('hex')}`;
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Headers of an error answer: the response path (`blocked` for a policy block, else `error`) unless the caller's
 * diagnostics already carry one, and the stable code.
 */
export function errorHeaders(error: ErrorAnswer, extraHeaders: readonly HeaderPair[]): HeaderPair[] {
  const headers: HeaderPair[] = [];
  if (!extraHeaders.some(([name]) => name === HEADER.routerResponsePath)) {
    const path: ResponsePath = error.code === 'blocked_by_policy' ? 'blocked' : 'error';
    headers.push([HEADER.routerResponsePath, path]);
  }
  headers.push([ROUTER_ERROR_CODE_HEADER, error.code], ...extraHeaders);
  return headers;
}

/** OpenAI's error shape, used by chat completions, completions and the Responses API. */
export function openAIErrorAnswer(
  error: ErrorAnswer,
  extraHeaders: readonly HeaderPair[] = [],
): ImmediateResult {
  return jsonAnswer(
    error.httpStatus ?? 500,
    { error: { message: error.message, type: error.errorType, code: error.code, param: null } },
    `semantic_router_${error.code}`,
    errorHeaders(error, extraHeaders),
  );
}
