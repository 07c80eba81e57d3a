// ProcessingResponse bytes written straight from the router's phase results: sizes first, then one buffer, with
// no intermediate message objects. protobufjs's fromObject + encode built a tree of message instances and a
// writer fork per nested message for every answer (~30 µs and a large share of the garbage per request).
// Field numbers follow the project's copy of envoy/service/ext_proc/v3/external_processor.proto and the
// messages it imports; test/unit/server/response-encoder.test.ts decodes the bytes with Envoy's own protos.
import { COPY_SLICE_BYTES, yieldToEventLoop } from '../event-loop.ts';
import type { BodyMode, ContinueResult, DynamicMetadata, HeaderPair, PhaseResult } from '../mutations.ts';
import { varintSize } from '../protobuf-wire.ts';
import { frameInRoom } from '../request/framing-room.ts';
import type { Phase } from './wire.ts';

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;

/** ProcessingResponse's `response` oneof. */
const PHASE_FIELD: Readonly<Record<Phase, number>> = {
  request_headers: 1,
  response_headers: 2,
  request_body: 3,
  response_body: 4,
};
const TRAILERS_FIELD = { request_trailers: 5, response_trailers: 6 } as const;
const IMMEDIATE_RESPONSE = 7;
const DYNAMIC_METADATA = 8;
const MODE_OVERRIDE = 9;

const OVERWRITE_IF_EXISTS_OR_ADD = 2;
const BODY_MODE: Readonly<Record<BodyMode, number>> = { NONE: 0, STREAMED: 1, BUFFERED: 2 };

/** Tag + length + payload of a length-delimited field (every field number here is below 16: one tag byte). */
const delimited = (length: number) => 1 + varintSize(length) + length;
/** ASCII strings up to this length are written byte by byte: Buffer's UTF-8 write costs more for them. */
const SHORT_STRING = 64;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Bodies from this size on are copied into their answer a slice per event-loop turn (encodeAnswerInSlices). */
export const LARGE_ANSWER_BODY_BYTES = 256 * 1024;

class Writer {
  offset = 0;
  /** A large body whose bytes are left for the caller to copy (`deferLargeBody`), and where they go. */
  deferred: { readonly at: number; readonly bytes: Uint8Array } | undefined;
  constructor(
    readonly buffer: Buffer,
    private readonly deferLargeBody = false,
  ) {}

  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.offset++] = value;
  }

  tag(field: number, wire: number): void {
    this.buffer[this.offset++] = (field << 3) | wire;
  }

  header(field: number, length: number): void {
    this.tag(field, LEN);
    this.varint(length);
  }

  string(field: number, text: string, length: number): void {
    this.header(field, length);
    if (length === text.length && length <= SHORT_STRING) {
      // ASCII (its UTF-8 length equals its length): one byte per character.
      for (let i = 0; i < length; i++) this.buffer[this.offset + i] = text.charCodeAt(i);
      this.offset += length;
    } else {
      this.offset += this.buffer.write(text, this.offset, length, 'utf8');
    }
  }

  bytes(field: number, bytes: Uint8Array): void {
    this.header(field, bytes.length);
    if (this.deferLargeBody && bytes.length >= LARGE_ANSWER_BODY_BYTES) {
      // The buffer holds everything but these bytes: the caller puts them between `buffer[..at]` and `buffer[at..]`.
      this.deferred = { at: this.offset, bytes };
      return;
    }
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  uint(field: number, value: number): void {
    this.tag(field, VARINT);
    this.varint(value);
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.buffer.writeDoubleLE(value, this.offset);
    this.offset += 8;
  }
}

/**
 * Lengths the size pass measured, read back in the same order by the write pass. Answers are encoded synchronously,
 * one at a time, so one tape serves them all: no object or array per header, metadata entry or answer.
 */
class SizeTape {
  private sizes = new Int32Array(64);
  private length = 0;
  private cursor = 0;

  /** Starts an answer's size pass. */
  rewind(): void {
    this.length = 0;
    this.cursor = 0;
  }

  push(size: number): number {
    if (this.length === this.sizes.length) {
      const grown = new Int32Array(this.sizes.length * 2);
      grown.set(this.sizes);
      this.sizes = grown;
    }
    this.sizes[this.length++] = size;
    return size;
  }

  /** A slot filled later (`fill`): a message's size goes before the sizes of its fields. */
  reserve(): number {
    this.push(0);
    return this.length - 1;
  }

  fill(slot: number, size: number): number {
    this.sizes[slot] = size;
    return size;
  }

  next(): number {
    return this.sizes[this.cursor++] as number;
  }
}

const tape = new SizeTape();

// --- HeaderMutation { repeated HeaderValueOption set_headers = 1; repeated string remove_headers = 2; }
// HeaderValueOption { HeaderValue header = 1; HeaderAppendAction append_action = 3; }
// HeaderValue { string key = 1; bytes raw_value = 3; } (raw_value only: Envoy rejects value and raw_value both)

/** The HeaderMutation's size; taped: each set header's key and value lengths, each removed name's length. */
function measureHeaderMutation(set: readonly HeaderPair[], remove: readonly string[]): number {
  let total = 0;
  for (const [key, value] of set)
    total += delimited(headerOptionSize(tape.push(utf8(key)), tape.push(utf8(value))));
  for (const name of remove) total += delimited(tape.push(utf8(name)));
  return total;
}

const headerValueSize = (key: number, value: number) => delimited(key) + delimited(value);
const headerOptionSize = (key: number, value: number) => delimited(headerValueSize(key, value)) + 2;

function writeHeaderMutation(w: Writer, set: readonly HeaderPair[], remove: readonly string[]): void {
  for (const [key, value] of set) {
    const k = tape.next();
    const v = tape.next();
    w.header(1, headerOptionSize(k, v));
    w.header(1, headerValueSize(k, v));
    w.string(1, key, k);
    w.string(3, value, v);
    w.uint(3, OVERWRITE_IF_EXISTS_OR_ADD);
  }
  for (const name of remove) w.string(2, name, tape.next());
}

// --- Struct { map<string, Value> fields = 1; } entry { string key = 1; Value value = 2; }
// Value { double number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5; }

type FlatValue = string | number | boolean;

/** The Value message of `value` whose string (if it is one) is `length` UTF-8 bytes long. */
const valueSize = (value: FlatValue, length: number) =>
  typeof value === 'string' ? delimited(length) : typeof value === 'number' ? 9 : 2;

/** A namespace's outer map entry: its name and Value{struct_value: Struct of `structSize`}. */
const namespaceEntrySize = (nameLength: number, structSize: number) =>
  delimited(nameLength) + delimited(delimited(structSize));

/**
 * The metadata Struct's size; taped per namespace: its name's length and its Struct's size, then each entry's key
 * length and string value length (0 for numbers and booleans). for…in reads an unchanged object in the same order
 * in the write pass.
 */
function measureMetadata(metadata: DynamicMetadata): number {
  let size = 0;
  for (const name in metadata) {
    const values = metadata[name] as Readonly<Record<string, FlatValue>>;
    const nameLength = tape.push(utf8(name));
    const structSlot = tape.reserve();
    let structSize = 0;
    for (const key in values) {
      const value = values[key] as FlatValue;
      const keyLength = tape.push(utf8(key));
      const valueLength = tape.push(typeof value === 'string' ? utf8(value) : 0);
      structSize += delimited(delimited(keyLength) + delimited(valueSize(value, valueLength)));
    }
    size += delimited(namespaceEntrySize(nameLength, tape.fill(structSlot, structSize)));
  }
  return size;
}

function writeMetadata(w: Writer, metadata: DynamicMetadata): void {
  for (const name in metadata) {
    const values = metadata[name] as Readonly<Record<string, FlatValue>>;
    const nameLength = tape.next();
    const structSize = tape.next();
    w.header(1, namespaceEntrySize(nameLength, structSize));
    w.string(1, name, nameLength);
    w.header(2, delimited(structSize));
    w.header(5, structSize);
    for (const key in values) {
      const value = values[key] as FlatValue;
      const keyLength = tape.next();
      const valueLength = tape.next();
      const size = valueSize(value, valueLength);
      w.header(1, delimited(keyLength) + delimited(size));
      w.string(1, key, keyLength);
      w.header(2, size);
      if (typeof value === 'string') w.string(3, value, valueLength);
      else if (typeof value === 'number') w.double(2, value);
      else w.uint(4, value ? 1 : 0);
    }
  }
}

// --- CommonResponse { HeaderMutation header_mutation = 2; BodyMutation body_mutation = 3; bool clear_route_cache = 5; }
// BodyMutation { bytes body = 1 | bool clear_body = 2 }

const NO_PAIRS: readonly HeaderPair[] = [];
const NO_NAMES: readonly string[] = [];

const hasHeaderMutation = (result: ContinueResult) =>
  (result.setHeaders !== undefined && result.setHeaders.length > 0) ||
  (result.removeHeaders !== undefined && result.removeHeaders.length > 0);

/** The BodyMutation's size, or -1 for none. */
function bodyMutationSize(result: ContinueResult): number {
  if (result.body !== undefined) return delimited(result.body.length);
  return result.clearBody ? 2 : -1;
}

/** The CommonResponse's size; taped: the HeaderMutation's size (when there is one), then its own. */
function measureCommon(result: ContinueResult): number {
  let total = 0;
  if (hasHeaderMutation(result)) {
    const slot = tape.reserve();
    total += delimited(
      tape.fill(slot, measureHeaderMutation(result.setHeaders ?? NO_PAIRS, result.removeHeaders ?? NO_NAMES)),
    );
  }
  const bodyMutation = bodyMutationSize(result);
  if (bodyMutation >= 0) total += delimited(bodyMutation);
  if (result.clearRouteCache) total += 2;
  return total;
}

function writeCommon(w: Writer, result: ContinueResult): void {
  if (hasHeaderMutation(result)) {
    w.header(2, tape.next());
    writeHeaderMutation(w, result.setHeaders ?? NO_PAIRS, result.removeHeaders ?? NO_NAMES);
  }
  const bodyMutation = bodyMutationSize(result);
  if (bodyMutation >= 0) {
    w.header(3, bodyMutation);
    if (result.body !== undefined) w.bytes(1, result.body);
    else w.uint(2, 1);
  }
  if (result.clearRouteCache) w.uint(5, 1);
}

// --- ProcessingMode { BodySendMode request_body_mode = 3; BodySendMode response_body_mode = 4; }

function modeSize(mode: NonNullable<ContinueResult['modeOverride']>): number {
  let size = 0;
  if (mode.requestBodyMode) size += 1 + varintSize(BODY_MODE[mode.requestBodyMode]);
  if (mode.responseBodyMode) size += 1 + varintSize(BODY_MODE[mode.responseBodyMode]);
  return size;
}

function writeMode(w: Writer, mode: NonNullable<ContinueResult['modeOverride']>): void {
  if (mode.requestBodyMode) w.uint(3, BODY_MODE[mode.requestBodyMode]);
  if (mode.responseBodyMode) w.uint(4, BODY_MODE[mode.responseBodyMode]);
}

// --- ImmediateResponse { HttpStatus status = 1 {code = 1}; HeaderMutation headers = 2; bytes body = 3; string details = 5; }

function encodeImmediate(result: Extract<PhaseResult, { kind: 'immediate' }>): Writer {
  tape.rewind();
  const headers = measureHeaderMutation(result.headers, NO_NAMES);
  const statusSize = 1 + varintSize(result.status);
  const details = utf8(result.details);
  const immediate =
    delimited(statusSize) + delimited(headers) + delimited(result.body.length) + delimited(details);
  const metadata = result.dynamicMetadata ? measureMetadata(result.dynamicMetadata) : -1;
  const w = new Writer(Buffer.allocUnsafe(delimited(immediate) + (metadata >= 0 ? delimited(metadata) : 0)));
  w.header(IMMEDIATE_RESPONSE, immediate);
  w.header(1, statusSize);
  w.uint(1, result.status);
  w.header(2, headers);
  writeHeaderMutation(w, result.headers, NO_NAMES);
  w.bytes(3, result.body);
  w.string(5, result.details, details);
  if (result.dynamicMetadata) {
    w.header(DYNAMIC_METADATA, metadata);
    writeMetadata(w, result.dynamicMetadata);
  }
  return w;
}

/** The wire bytes of the ProcessingResponse answering `phase` with `result`. */
export function encodeProcessingResponse(phase: Phase, result: PhaseResult): Buffer {
  return encodeInto(phase, result, false).buffer;
}

/**
 * The same bytes as encodeProcessingResponse; a replacement body of LARGE_ANSWER_BODY_BYTES or more is framed in
 * place when the rewrite left room around it (framing-room.ts: no copy; ready the next turn), else copied into
 * place 1 MiB per event-loop turn, so an 8 MiB rewrite does not hold the loop for one long copy.
 */
export function encodeAnswerInSlices(phase: Phase, result: PhaseResult): Buffer | Promise<Buffer> {
  if (result.kind !== 'continue' || result.body === undefined || result.body.length < LARGE_ANSWER_BODY_BYTES)
    return encodeProcessingResponse(phase, result);
  const writer = encodeInto(phase, result, true);
  const deferred = writer.deferred;
  if (!deferred) return writer.buffer;
  const prefix = writer.buffer.subarray(0, deferred.at);
  const suffix = writer.buffer.subarray(deferred.at);
  const framed = frameInRoom(prefix, deferred.bytes, suffix);
  // grpc-js copies the answer into its frame as soon as it has it: not in the turn that copied the rewritten body.
  if (framed) return yieldToEventLoop().then(() => framed);
  return copyBodyInSlices(prefix, deferred.bytes, suffix);
}

async function copyBodyInSlices(prefix: Buffer, body: Uint8Array, suffix: Buffer): Promise<Buffer> {
  const answer = Buffer.allocUnsafe(prefix.length + body.length + suffix.length);
  answer.set(prefix, 0);
  answer.set(suffix, prefix.length + body.length);
  for (let from = 0; from < body.length; from += COPY_SLICE_BYTES) {
    answer.set(body.subarray(from, from + COPY_SLICE_BYTES), prefix.length + from);
    await yieldToEventLoop();
  }
  return answer;
}

function encodeInto(phase: Phase, result: PhaseResult, deferLargeBody: boolean): Writer {
  if (result.kind === 'immediate') return encodeImmediate(result);
  tape.rewind();
  const common = measureCommon(result);
  // HeadersResponse / BodyResponse { CommonResponse response = 1; }
  const phaseMessage = delimited(common);
  const metadata = result.dynamicMetadata ? measureMetadata(result.dynamicMetadata) : -1;
  const mode = result.modeOverride ? modeSize(result.modeOverride) : -1;
  // A deferred body's bytes are left out of the buffer (see Writer.bytes).
  const deferredBytes =
    deferLargeBody && result.body !== undefined && result.body.length >= LARGE_ANSWER_BODY_BYTES
      ? result.body.length
      : 0;
  const w = new Writer(
    Buffer.allocUnsafe(
      delimited(phaseMessage) +
        (metadata >= 0 ? delimited(metadata) : 0) +
        (mode >= 0 ? delimited(mode) : 0) -
        deferredBytes,
    ),
    deferLargeBody,
  );
  w.header(PHASE_FIELD[phase], phaseMessage);
  w.header(1, common);
  writeCommon(w, result);
  if (result.dynamicMetadata) {
    w.header(DYNAMIC_METADATA, metadata);
    writeMetadata(w, result.dynamicMetadata);
  }
  if (result.modeOverride) {
    w.header(MODE_OVERRIDE, mode);
    writeMode(w, result.modeOverride);
  }
  return w;
}

const TRAILERS_RESPONSES = {
  request_trailers: Buffer.from([(TRAILERS_FIELD.request_trailers << 3) | LEN, 0]),
  response_trailers: Buffer.from([(TRAILERS_FIELD.response_trailers << 3) | LEN, 0]),
} as const;

/** A response to trailers: nothing to change. */
export function encodeTrailersResponse(kind: keyof typeof TRAILERS_FIELD): Buffer {
  return TRAILERS_RESPONSES[kind];
}
