// Builds the RequestContext of a chat request from its messages, as the pipeline does (for the signal evals).
import { decodeJsonBody, parseOpenAIRequest } from '../src/request/openai-request.ts';
import { buildRequestContext, type RequestContext } from '../src/request/request-context.ts';

export interface Turn {
  readonly role: 'user' | 'assistant' | 'system';
  readonly content: string;
}

export function conversationContext(messages: readonly Turn[]): RequestContext {
  const path = '/v1/chat/completions';
  const bytes = Buffer.from(JSON.stringify({ model: 'auto', messages }), 'utf8');
  const request = parseOpenAIRequest(decodeJsonBody(bytes), path);
  return buildRequestContext({ method: 'POST', path, headers: new Map(), request });
}

/** A first question, an assistant answer, then `followUp`: the shape every follow-up eval uses. */
export function followUpContext(followUp: string): RequestContext {
  return conversationContext([
    { role: 'user', content: 'What is the tallest mountain in Europe?' },
    { role: 'assistant', content: 'Mount Elbrus in Russia, at 5,642 metres.' },
    { role: 'user', content: followUp },
  ]);
}
