// Answers that replace a body with a large one (a rewritten multi-megabyte request body) are protobuf-encoded a
// bounded slice per event-loop turn: the message is encoded without the body, then the body is copied into place
// 1 MiB at a time. grpc-js then only frames the bytes (one copy) instead of encoding and framing in one turn.
// The bytes are exactly those the proto serializer writes for the whole message.
import type { ProcessingResponse } from './ext-proc-messages.ts';

/** Bodies from this size on are encoded in slices (below, encoding costs well under 1 ms). */
export const LARGE_ANSWER_BODY_BYTES = 256 * 1024;

const COPY_SLICE_BYTES = 1024 * 1024;
const LENGTH_DELIMITED = 2;

/** Field numbers: ProcessingResponse.request_body / response_body → BodyResponse.response → CommonResponse.body_mutation → BodyMutation.body. */
const BODY_PATHS = {
  request_body: [3, 1, 3, 1],
  response_body: [4, 1, 3, 1],
} as const;

type BodyPhase = keyof typeof BODY_PATHS;

const EMPTY = new Uint8Array(0);

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The phase whose body mutation carries a body of LARGE_ANSWER_BODY_BYTES or more, if any. */
export function largeAnswerPhase(response: ProcessingResponse): BodyPhase | undefined {
  for (const phase of ['request_body', 'response_body'] as const) {
    const body = response[phase]?.response?.body_mutation?.body;
    if (body !== undefined && body.length >= LARGE_ANSWER_BODY_BYTES) return phase;
  }
  return undefined;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; end: number } {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const byte = bytes[i++];
    if (byte === undefined || shift > 28) throw new Error('malformed protobuf varint');
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return { value, end: i };
    shift += 7;
  }
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function skipField(bytes: Uint8Array, wireType: number, at: number): number {
  switch (wireType) {
    case 0:
      return readVarint(bytes, at).end;
    case 1:
      return at + 8;
    case LENGTH_DELIMITED: {
      const length = readVarint(bytes, at);
      return length.end + length.value;
    }
    case 5:
      return at + 4;
    default:
      throw new Error(`unexpected protobuf wire type ${wireType}`);
  }
}

/**
 * `message` with the length-delimited field at `path` (its last field number being the empty bytes field) given
 * `bodyLength` bytes: what goes before the body and after it, every enclosing length updated.
 */
function splice(
  message: Uint8Array,
  path: readonly number[],
  bodyLength: number,
): { head: Uint8Array[]; tail: Uint8Array[]; length: number } {
  const [field, ...rest] = path;
  let at = 0;
  while (at < message.length) {
    const tagStart = at;
    const tag = readVarint(message, at);
    if (tag.value >>> 3 === field && (tag.value & 7) === LENGTH_DELIMITED) {
      const length = readVarint(message, tag.end);
      const payloadEnd = length.end + length.value;
      const payload = message.subarray(length.end, payloadEnd);
      const inner =
        rest.length === 0
          ? { head: [] as Uint8Array[], tail: [] as Uint8Array[], length: bodyLength }
          : splice(payload, rest, bodyLength);
      const prefix = message.subarray(0, tag.end);
      const size = varint(inner.length);
      const suffix = message.subarray(payloadEnd);
      return {
        head: [prefix, size, ...inner.head],
        tail: [...inner.tail, suffix],
        length: prefix.length + size.length + inner.length + suffix.length,
      };
    }
    at = skipField(message, tag.value & 7, tag.end);
    if (at <= tagStart) throw new Error('malformed protobuf message');
  }
  throw new Error(`protobuf field ${field} not found`);
}

/**
 * `response` encoded by `serialize` (the proto serializer), the large body copied a bounded slice per turn.
 * Only for responses `largeAnswerPhase` names a phase of.
 */
export async function encodeLargeAnswer(
  response: ProcessingResponse,
  phase: BodyPhase,
  serialize: (response: ProcessingResponse) => Buffer,
): Promise<Buffer> {
  const common = response[phase]?.response;
  const body = common?.body_mutation?.body ?? EMPTY;
  const withoutBody: ProcessingResponse = {
    ...response,
    [phase]: { ...response[phase], response: { ...common, body_mutation: { body: EMPTY } } },
  };
  const { head, tail, length } = splice(serialize(withoutBody), BODY_PATHS[phase], body.length);
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const part of head) {
    out.set(part, offset);
    offset += part.length;
  }
  // Every slice in a turn of its own: the turn before made the body, the turn after frames the message.
  for (let from = 0; from < body.length; from += COPY_SLICE_BYTES) {
    await yieldToEventLoop();
    const slice = body.subarray(from, Math.min(body.length, from + COPY_SLICE_BYTES));
    out.set(slice, offset);
    offset += slice.length;
  }
  for (const part of tail) {
    out.set(part, offset);
    offset += part.length;
  }
  await yieldToEventLoop();
  return out;
}
