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

// --- HeaderMutation { repeated HeaderValueOption set_headers = 1; repeated string remove_headers = 2; }
// HeaderValueOption { HeaderValue header = 1; HeaderAppendAction append_action = 3; }
// HeaderValue { string key = 1; bytes raw_value = 3; } (raw_value only: Envoy rejects value and raw_value both)

interface HeaderSizes {
  readonly total: number;
  readonly keys: number[];
  readonly values: number[];
}

function headerMutationSizes(set: readonly HeaderPair[], remove: readonly string[]): HeaderSizes {
  const keys: number[] = [];
  const values: number[] = [];
  let total = 0;
  for (const [key, value] of set) {
    const k = utf8(key);
    const v = utf8(value);
    keys.push(k);
    values.push(v);
    total += delimited(headerOptionSize(k, v));
  }
  for (const name of remove) total += delimited(utf8(name));
  return { total, keys, values };
}

const headerValueSize = (key: number, value: number) => delimited(key) + delimited(value);
const headerOptionSize = (key: number, value: number) => delimited(headerValueSize(key, value)) + 2;

function writeHeaderMutation(
  w: Writer,
  set: readonly HeaderPair[],
  remove: readonly string[],
  sizes: HeaderSizes,
): void {
  set.forEach(([key, value], i) => {
    const k = sizes.keys[i] as number;
    const v = sizes.values[i] as number;
    w.header(1, headerOptionSize(k, v));
    w.header(1, headerValueSize(k, v));
    w.string(1, key, k);
    w.string(3, value, v);
    w.uint(3, OVERWRITE_IF_EXISTS_OR_ADD);
  });
  for (const name of remove) w.string(2, name, utf8(name));
}

// --- Struct { map<string, Value> fields = 1; } entry { string key = 1; Value value = 2; }
// Value { double number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5; }

type FlatValue = string | number | boolean;

/** One `key: value` of a flat struct, measured once for the size pass and the write pass. */
interface MeasuredEntry {
  readonly key: string;
  readonly keyLength: number;
  readonly value: FlatValue;
  /** UTF-8 bytes of a string value (0 for numbers and booleans). */
  readonly valueLength: number;
  /** The Value message. */
  readonly valueSize: number;
  /** The map entry message (key and value fields). */
  readonly entrySize: number;
}

interface MeasuredNamespace {
  readonly name: string;
  readonly nameLength: number;
  readonly entries: readonly MeasuredEntry[];
  /** The inner Struct (its entries). */
  readonly structSize: number;
  /** The outer map entry (name and Value{struct_value}). */
  readonly entrySize: number;
}

interface MeasuredMetadata {
  readonly namespaces: readonly MeasuredNamespace[];
  readonly size: number;
}

function measureMetadata(metadata: DynamicMetadata): MeasuredMetadata {
  const namespaces: MeasuredNamespace[] = [];
  let size = 0;
  for (const name in metadata) {
    const values = metadata[name] as Readonly<Record<string, FlatValue>>;
    const entries: MeasuredEntry[] = [];
    let structSize = 0;
    for (const key in values) {
      const value = values[key] as FlatValue;
      const keyLength = utf8(key);
      const valueLength = typeof value === 'string' ? utf8(value) : 0;
      const valueSize =
        typeof value === 'string' ? delimited(valueLength) : typeof value === 'number' ? 9 : 2;
      const entrySize = delimited(keyLength) + delimited(valueSize);
      entries.push({ key, keyLength, value, valueLength, valueSize, entrySize });
      structSize += delimited(entrySize);
    }
    const nameLength = utf8(name);
    const entrySize = delimited(nameLength) + delimited(delimited(structSize));
    namespaces.push({ name, nameLength, entries, structSize, entrySize });
    size += delimited(entrySize);
  }
  return { namespaces, size };
}

function writeMetadata(w: Writer, metadata: MeasuredMetadata): void {
  for (const namespace of metadata.namespaces) {
    w.header(1, namespace.entrySize);
    w.string(1, namespace.name, namespace.nameLength);
    w.header(2, delimited(namespace.structSize));
    w.header(5, namespace.structSize);
    for (const entry of namespace.entries) {
      w.header(1, entry.entrySize);
      w.string(1, entry.key, entry.keyLength);
      w.header(2, entry.valueSize);
      const value = entry.value;
      if (typeof value === 'string') w.string(3, value, entry.valueLength);
      else if (typeof value === 'number') w.double(2, value);
      else w.uint(4, value ? 1 : 0);
    }
  }
}

// --- CommonResponse { HeaderMutation header_mutation = 2; BodyMutation body_mutation = 3; bool clear_route_cache = 5; }
// BodyMutation { bytes body = 1 | bool clear_body = 2 }

const NO_PAIRS: readonly HeaderPair[] = [];
const NO_NAMES: readonly string[] = [];

interface CommonSizes {
  readonly total: number;
  readonly headers: HeaderSizes | undefined;
  readonly bodyMutation: number;
}

function commonSizes(result: ContinueResult): CommonSizes {
  const set = result.setHeaders ?? NO_PAIRS;
  const remove = result.removeHeaders ?? NO_NAMES;
  const headers = set.length > 0 || remove.length > 0 ? headerMutationSizes(set, remove) : undefined;
  let total = headers ? delimited(headers.total) : 0;
  let bodyMutation = -1;
  if (result.body !== undefined) bodyMutation = delimited(result.body.length);
  else if (result.clearBody) bodyMutation = 2;
  if (bodyMutation >= 0) total += delimited(bodyMutation);
  if (result.clearRouteCache) total += 2;
  return { total, headers, bodyMutation };
}

function writeCommon(w: Writer, result: ContinueResult, sizes: CommonSizes): void {
  if (sizes.headers) {
    w.header(2, sizes.headers.total);
    writeHeaderMutation(w, result.setHeaders ?? NO_PAIRS, result.removeHeaders ?? NO_NAMES, sizes.headers);
  }
  if (sizes.bodyMutation >= 0) {
    w.header(3, sizes.bodyMutation);
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
  const headers = headerMutationSizes(result.headers, NO_NAMES);
  const statusSize = 1 + varintSize(result.status);
  const details = utf8(result.details);
  const immediate =
    delimited(statusSize) + delimited(headers.total) + delimited(result.body.length) + delimited(details);
  const metadata = result.dynamicMetadata && measureMetadata(result.dynamicMetadata);
  const w = new Writer(Buffer.allocUnsafe(delimited(immediate) + (metadata ? delimited(metadata.size) : 0)));
  w.header(IMMEDIATE_RESPONSE, immediate);
  w.header(1, statusSize);
  w.uint(1, result.status);
  w.header(2, headers.total);
  writeHeaderMutation(w, result.headers, NO_NAMES, headers);
  w.bytes(3, result.body);
  w.string(5, result.details, details);
  if (metadata) {
    w.header(DYNAMIC_METADATA, metadata.size);
    writeMetadata(w, metadata);
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
  const common = commonSizes(result);
  // HeadersResponse / BodyResponse { CommonResponse response = 1; }
  const phaseMessage = delimited(common.total);
  const metadata = result.dynamicMetadata && measureMetadata(result.dynamicMetadata);
  const mode = result.modeOverride ? modeSize(result.modeOverride) : -1;
  // A deferred body's bytes are left out of the buffer (see Writer.bytes).
  const deferredBytes =
    deferLargeBody && result.body !== undefined && result.body.length >= LARGE_ANSWER_BODY_BYTES
      ? result.body.length
      : 0;
  const w = new Writer(
    Buffer.allocUnsafe(
      delimited(phaseMessage) +
        (metadata ? delimited(metadata.size) : 0) +
        (mode >= 0 ? delimited(mode) : 0) -
        deferredBytes,
    ),
    deferLargeBody,
  );
  w.header(PHASE_FIELD[phase], phaseMessage);
  w.header(1, common.total);
  writeCommon(w, result, common);
  if (metadata) {
    w.header(DYNAMIC_METADATA, metadata.size);
    writeMetadata(w, metadata);
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
