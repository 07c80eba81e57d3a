// Body-decoding worker thread: UTF-8 validation, the depth check, JSON.parse, the token estimate and the top-level
// member ranges (for the rewrite) of large request bodies, off the router's event loop, and the memory the rewrite
// will write into (rewrite-space.ts). Runs the very functions the router runs in-loop for small bodies.
import { parentPort } from 'node:worker_threads';
import { InvalidRequestError } from '../errors.ts';
import type { DecodeReply, DecodeRequest } from './body-decode-messages.ts';
import { topLevelMembers } from './body-rewrite.ts';
import { decodeJsonBody, parseLlmRequest } from './openai-request.ts';
import { buildRequestContext } from './request-context.ts';
import { prepareRewriteSpace } from './rewrite-space.ts';

const port = parentPort;
if (port === null) throw new Error('body-decode-worker must run as a worker thread');

const NO_HEADERS: ReadonlyMap<string, string> = new Map();

function decode({ id, bytes, api, maxDepth }: DecodeRequest): DecodeReply {
  try {
    const body = decodeJsonBody(bytes, { maxDepth });
    const request = parseLlmRequest(api, body);
    const { promptTokens } = buildRequestContext({ method: 'POST', path: '', headers: NO_HEADERS, request });
    const members = topLevelMembers(bytes);
    const rewriteSpace = members && prepareRewriteSpace(bytes.length);
    return { id, kind: 'decoded', body, promptTokens, members, rewriteSpace };
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      return { id, kind: 'invalid', code: error.code, message: error.message };
    }
    return { id, kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

port.on('message', (request: DecodeRequest) => port.postMessage(decode(request)));
