// One streamed chat completion as Envoy hands it to ext_proc, for bench/response-stage-cost.ts: the request headers
// and body of a `stream: true` chat request, the upstream's SSE response headers, and a vLLM chat stream of N content
// tokens (role chunk, N deltas, finish chunk, usage chunk, [DONE]) cut one SSE frame per chunk, as vLLM writes them.
// The usage chunk is there because the router adds `stream_options.include_usage` and then strips that frame from
// what the client gets (rewriting every chunk's answer), unless the client asked for the usage itself.
import {
  bytes,
  framePerChunk,
  tokens,
  vllmChatStream,
  withoutUsageOnly,
} from '../test/unit/response/streams.ts';

export interface StreamedAnswer {
  /** Request headers as Envoy sends them (pseudo-headers included), lower-case names. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly requestBody: Buffer;
  /** The upstream's response headers (`:status` included). */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** The SSE body, one frame per chunk; Envoy marks the last one end_of_stream. */
  readonly chunks: readonly Buffer[];
  readonly contentTokens: number;
  readonly bodyBytes: number;
  /** Bytes the client receives when the router strips the usage-only frame (the body without it). */
  readonly strippedBytes: number;
}

const PROMPT =
  'Explain, step by step, how a content delivery network decides which edge server answers a request, ' +
  'and what happens when that server is overloaded. Keep it under a thousand words.';

/** `clientAsksUsage`: the request sets `stream_options.include_usage` itself (the router then rewrites nothing). */
export function streamedAnswer(contentTokens: number, clientAsksUsage = false): StreamedAnswer {
  const requestBody = Buffer.from(
    JSON.stringify({
      model: 'auto',
      messages: [
        { role: 'system', content: 'You are a helpful assistant. Answer concisely.' },
        { role: 'user', content: PROMPT },
      ],
      stream: true,
      ...(clientAsksUsage && { stream_options: { include_usage: true } }),
      max_tokens: 2048,
      temperature: 0.7,
    }),
  );
  const stream = vllmChatStream({ contentTokens: tokens(contentTokens), includeUsage: true });
  return {
    requestHeaders: {
      ':method': 'POST',
      ':path': '/v1/chat/completions',
      ':authority': 'llm.example.com',
      ':scheme': 'https',
      'content-type': 'application/json',
      'content-length': String(requestBody.length),
      accept: 'text/event-stream',
      'user-agent': 'OpenAI/Python 1.54.0',
      'x-request-id': '6b0d6c1e-2f5a-4d3b-9a8e-1c2d3e4f5a6b',
    },
    requestBody,
    responseHeaders: {
      ':status': '200',
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      date: 'Wed, 01 Jan 2025 00:00:00 GMT',
      server: 'uvicorn',
      'x-envoy-upstream-service-time': '41',
    },
    chunks: framePerChunk(stream).map((chunk) => Buffer.from(chunk)),
    contentTokens,
    bodyBytes: bytes(stream).length,
    strippedBytes: withoutUsageOnly(stream).length,
  };
}
