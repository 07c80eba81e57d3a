// Which conversation a request continues, without keeping its text: a client session header, or a hash of the
// conversation's opening (system prompts and first user message), which every later turn repeats verbatim.
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../request/request-context.ts';

/** Session header read when the policy names none (the client sets it; the router never logs or stores it raw). */
export const DEFAULT_SESSION_HEADER = 'x-session-id';

function digest(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex').slice(0, 32);
}

/**
 * A stable, opaque id of the request's conversation. From the session header when present; otherwise from the
 * system prompts and the first user message. (The messages before the *last* user turn would not do: the first turn
 * has none, and the assistant answer a second turn repeats is unknown when the first is routed.) Undefined without a
 * header and without a user message.
 */
export function conversationKey(
  context: RequestContext,
  header = DEFAULT_SESSION_HEADER,
): string | undefined {
  const session = context.headers.get(header.toLowerCase())?.trim();
  if (session) return `h:${digest([session])}`;
  const messages = context.request.messages;
  const firstUser = messages.findIndex((m) => m.role === 'user');
  if (firstUser < 0) return undefined;
  const opening = messages.slice(0, firstUser + 1).map((m) => `${m.role}\u0001${m.text}\u0001${m.toolText}`);
  return `p:${digest(opening)}`;
}

/** A hash of the whole conversation as sent: equal for a client's retry of the same request. */
export function conversationFingerprint(context: RequestContext): string {
  return digest(context.request.messages.map((m) => `${m.role}\u0001${m.text}\u0001${m.toolText}`));
}
