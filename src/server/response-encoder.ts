// ProcessingResponse bytes written straight from the router's phase results: sizes first, then one buffer, with
// no intermediate message objects. protobufjs's fromObject + encode built a tree of message instances and a
// writer fork per nested message for every answer (~30 µs and a large share of the garbage per request).
// Field numbers follow the project's copy of envoy/service/ext_proc/v3/external_processor.proto and the
// messages it imports; test/unit/server/response-encoder.test.ts decodes the bytes with Envoy's own protos.
import type { BodyMode, ContinueResult, DynamicMetadata, HeaderPair, PhaseResult } from '../mutations.ts';
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

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Tag + length + payload of a length-delimited field (every field number here is below 16: one tag byte). */
const delimited = (length: number) => 1 + varintSize(length) + length;
/** Strings up to this length are measured and written by hand when ASCII: Buffer's UTF-8 calls cost more. */
const SHORT_STRING = 64;

function isShortAscii(text: string): boolean {
  if (text.length > SHORT_STRING) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function utf8(text: string): number {
  return isShortAscii(text) ? text.length : Buffer.byteLength(text, 'utf8');
}

/** Bodies from this size on are copied into their answer a slice per event-loop turn (encodeAnswerInSlices). */
export const LARGE_ANSWER_BODY_BYTES = 256 * 1024;
const COPY_SLICE_BYTES = 1024 * 1024;

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
    if (this.deferLargeBody && bytes.length >= LARGE_ANSWER_BODY_BYTES)
      this.deferred = { at: this.offset, bytes };
    else this.buffer.set(bytes, this.offset);
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

function valueSize(value: FlatValue): number {
  if (typeof value === 'string') return delimited(utf8(value));
  return typeof value === 'number' ? 9 : 2;
}

function flatStructSize(values: Readonly<Record<string, FlatValue>>): number {
  let size = 0;
  for (const key in values) {
    const entry = delimited(utf8(key)) + delimited(valueSize(values[key] as FlatValue));
    size += delimited(entry);
  }
  return size;
}

function metadataSize(metadata: DynamicMetadata): number {
  let size = 0;
  for (const namespace in metadata) {
    const inner = flatStructSize(metadata[namespace] as Readonly<Record<string, FlatValue>>);
    size += delimited(delimited(utf8(namespace)) + delimited(delimited(inner)));
  }
  return size;
}

function writeValue(w: Writer, value: FlatValue): void {
  if (typeof value === 'string') w.string(3, value, utf8(value));
  else if (typeof value === 'number') w.double(2, value);
  else w.uint(4, value ? 1 : 0);
}

function writeMetadata(w: Writer, metadata: DynamicMetadata): void {
  for (const namespace in metadata) {
    const values = metadata[namespace] as Readonly<Record<string, FlatValue>>;
    const inner = flatStructSize(values);
    const name = utf8(namespace);
    w.header(1, delimited(name) + delimited(delimited(inner)));
    w.string(1, namespace, name);
    w.header(2, delimited(inner));
    w.header(5, inner);
    for (const key in values) {
      const value = values[key] as FlatValue;
      const k = utf8(key);
      w.header(1, delimited(k) + delimited(valueSize(value)));
      w.string(1, key, k);
      w.header(2, valueSize(value));
      writeValue(w, value);
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
  const metadata = result.dynamicMetadata ? metadataSize(result.dynamicMetadata) : -1;
  const w = new Writer(Buffer.allocUnsafe(delimited(immediate) + (metadata >= 0 ? delimited(metadata) : 0)));
  w.header(IMMEDIATE_RESPONSE, immediate);
  w.header(1, statusSize);
  w.uint(1, result.status);
  w.header(2, headers.total);
  writeHeaderMutation(w, result.headers, NO_NAMES, headers);
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

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The same bytes as encodeProcessingResponse; a replacement body of LARGE_ANSWER_BODY_BYTES or more is copied into
 * place 1 MiB per event-loop turn, so an 8 MiB rewrite does not hold the loop for one long copy.
 */
export function encodeAnswerInSlices(phase: Phase, result: PhaseResult): Buffer | Promise<Buffer> {
  if (result.kind !== 'continue' || result.body === undefined || result.body.length < LARGE_ANSWER_BODY_BYTES)
    return encodeProcessingResponse(phase, result);
  const writer = encodeInto(phase, result, true);
  const deferred = writer.deferred;
  if (!deferred) return writer.buffer;
  return (async () => {
    for (let from = 0; from < deferred.bytes.length; from += COPY_SLICE_BYTES) {
      writer.buffer.set(deferred.bytes.subarray(from, from + COPY_SLICE_BYTES), deferred.at + from);
      await yieldToEventLoop();
    }
    return writer.buffer;
  })();
}

function encodeInto(phase: Phase, result: PhaseResult, deferLargeBody: boolean): Writer {
  if (result.kind === 'immediate') return encodeImmediate(result);
  const common = commonSizes(result);
  // HeadersResponse / BodyResponse { CommonResponse response = 1; }
  const phaseMessage = delimited(common.total);
  const metadata = result.dynamicMetadata ? metadataSize(result.dynamicMetadata) : -1;
  const mode = result.modeOverride ? modeSize(result.modeOverride) : -1;
  const w = new Writer(
    Buffer.allocUnsafe(
      delimited(phaseMessage) + (metadata >= 0 ? delimited(metadata) : 0) + (mode >= 0 ? delimited(mode) : 0),
    ),
    deferLargeBody,
  );
  w.header(PHASE_FIELD[phase], phaseMessage);
  w.header(1, common.total);
  writeCommon(w, result, common);
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
