// Decodes the ProcessingRequests Envoy sends straight into the plain objects the router reads, in one pass over
// the wire bytes. proto-loader decodes into protobufjs message objects and then copies them into plain objects:
// two object trees per message. Anything this decoder does not expect (an unknown or repeated singular field, a
// wire type that does not fit, malformed bytes, more headers than the cap) is left to the caller's full decoder, so
// that odd input is read exactly as before.
import type {
  HeaderMap,
  HeaderValue,
  HttpBody,
  HttpHeaders,
  HttpTrailers,
  ProcessingRequest,
  ProcessingRequestCase,
} from './ext-proc-messages.ts';

const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** The request's case by its field number in ProcessingRequest's `request` oneof. */
const REQUEST_CASES: readonly (ProcessingRequestCase | undefined)[] = [
  undefined,
  undefined,
  'request_headers',
  'response_headers',
  'request_body',
  'response_body',
  'request_trailers',
  'response_trailers',
];
const METADATA_CONTEXT = 8;
const OBSERVABILITY_MODE = 10;
const PROTOCOL_CONFIG = 11;

/** Thrown inside the decoder for anything it leaves to the full decoder; never escapes it. */
const NOT_HANDLED = new Error('left to the full decoder');

class WireReader {
  pos: number;

  constructor(
    readonly bytes: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint of up to 32 bits (tags, lengths, bools); longer ones are left to the full decoder. */
  uint32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw NOT_HANDLED;
      const byte = this.bytes[this.pos++] as number;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    throw NOT_HANDLED;
  }

  /** The end offset of the length-delimited payload starting at `pos`. */
  payloadEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw NOT_HANDLED;
    return end;
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  string(): string {
    const end = this.payloadEnd();
    const text = this.bytes.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  }

  /** A string or bytes field read from `region` (the ASCII text of bytes from `regionStart` on): no copy, no call. */
  regionText(region: string, regionStart: number): string {
    const end = this.payloadEnd();
    const text = region.slice(this.pos - regionStart, end - regionStart);
    this.pos = end;
    return text;
  }

  bytesField(): Buffer {
    const end = this.payloadEnd();
    const slice = this.bytes.subarray(this.pos, end);
    this.pos = end;
    return slice;
  }
}

function expectWireType(tag: number, wireType: number): void {
  if ((tag & 7) !== wireType) throw NOT_HANDLED;
}

/**
 * The text of a header list's bytes when every byte is ASCII (then UTF-8 and Latin-1 read the same), else undefined.
 * One conversion for the whole list instead of one or two per header.
 */
function asciiRegion(bytes: Buffer, start: number, end: number): string | undefined {
  let any = 0;
  for (let i = start; i < end; i++) any |= bytes[i] as number;
  return any < 0x80 ? bytes.toString('latin1', start, end) : undefined;
}

function headerValue(
  reader: WireReader,
  end: number,
  region: string | undefined,
  regionStart: number,
): HeaderValue {
  const header: Partial<HeaderValue> = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        expectWireType(tag, LENGTH_DELIMITED);
        header.key = region === undefined ? reader.string() : reader.regionText(region, regionStart);
        break;
      case 2:
        expectWireType(tag, LENGTH_DELIMITED);
        header.value = region === undefined ? reader.string() : reader.regionText(region, regionStart);
        break;
      case 3:
        expectWireType(tag, LENGTH_DELIMITED);
        // The last occurrence wins, as for any singular field.
        if (region === undefined) {
          header.raw_value = reader.bytesField();
          header.raw_text = undefined;
        } else {
          header.raw_text = reader.regionText(region, regionStart);
          header.raw_value = undefined;
        }
        break;
      default:
        throw NOT_HANDLED;
    }
  }
  return header as HeaderValue;
}

function headerMap(reader: WireReader, end: number, maxHeaders: number): HeaderMap {
  const headers: HeaderValue[] = [];
  const regionStart = reader.pos;
  const region = asciiRegion(reader.bytes, regionStart, end);
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 !== 1) throw NOT_HANDLED;
    expectWireType(tag, LENGTH_DELIMITED);
    // Over the cap, the full decoder decodes a bounded part of the list and marks the message truncated.
    if (headers.length >= maxHeaders) throw NOT_HANDLED;
    const valueEnd = reader.payloadEnd();
    headers.push(headerValue(reader, valueEnd, region, regionStart));
  }
  return { headers };
}

function httpHeaders(reader: WireReader, end: number, maxHeaders: number): HttpHeaders {
  const message: HttpHeaders = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1: {
        expectWireType(tag, LENGTH_DELIMITED);
        // A repeated sub-message field merges on the wire: left to the full decoder.
        if (message.headers !== undefined) throw NOT_HANDLED;
        message.headers = headerMap(reader, reader.payloadEnd(), maxHeaders);
        break;
      }
      case 3:
        expectWireType(tag, VARINT);
        message.end_of_stream = reader.bool();
        break;
      default:
        throw NOT_HANDLED;
    }
  }
  return message;
}

interface DecodedHttpBody extends HttpBody {
  end_of_stream_without_message?: boolean;
  grpc_message_compressed?: boolean;
}

function httpBody(reader: WireReader, end: number): HttpBody {
  const message: DecodedHttpBody = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        expectWireType(tag, LENGTH_DELIMITED);
        message.body = reader.bytesField();
        break;
      case 2:
        expectWireType(tag, VARINT);
        message.end_of_stream = reader.bool();
        break;
      case 3:
        expectWireType(tag, VARINT);
        message.end_of_stream_without_message = reader.bool();
        break;
      case 4:
        expectWireType(tag, VARINT);
        message.grpc_message_compressed = reader.bool();
        break;
      default:
        throw NOT_HANDLED;
    }
  }
  return message;
}

function httpTrailers(reader: WireReader, end: number, maxHeaders: number): HttpTrailers {
  const message: HttpTrailers = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 !== 1 || message.trailers !== undefined) throw NOT_HANDLED;
    expectWireType(tag, LENGTH_DELIMITED);
    message.trailers = headerMap(reader, reader.payloadEnd(), maxHeaders);
  }
  return message;
}

/** envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode by number. */
const BODY_SEND_MODES = ['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED', 'GRPC'];

function bodySendMode(reader: WireReader): string {
  const mode = BODY_SEND_MODES[reader.uint32()];
  // An enum value newer than these protos: proto-loader would give its number.
  if (mode === undefined) throw NOT_HANDLED;
  return mode;
}

function protocolConfig(reader: WireReader, end: number): NonNullable<ProcessingRequest['protocol_config']> {
  const config: NonNullable<ProcessingRequest['protocol_config']> = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    expectWireType(tag, VARINT);
    switch (tag >>> 3) {
      case 1:
        config.request_body_mode = bodySendMode(reader);
        break;
      case 2:
        config.response_body_mode = bodySendMode(reader);
        break;
      case 3:
        config.send_body_without_waiting_for_header_response = reader.bool();
        break;
      default:
        throw NOT_HANDLED;
    }
  }
  return config;
}

export interface RequestDecoderOptions {
  /** Request headers decoded at most; a longer list is left to the full decoder (which caps it). */
  readonly maxHeaders: number;
  /** The full decoder (proto-loader's), used for metadata_context (Struct values are rare and varied). */
  readonly decodeFull: (bytes: Buffer) => ProcessingRequest;
}

/** The ProcessingRequest in `bytes`, or undefined when the full decoder should read it (see the file comment). */
export function decodeProcessingRequest(
  bytes: Buffer,
  options: RequestDecoderOptions,
): ProcessingRequest | undefined {
  const reader = new WireReader(bytes, 0, bytes.length);
  const message: ProcessingRequest = {};
  try {
    while (reader.pos < reader.end) {
      const fieldStart = reader.pos;
      const tag = reader.uint32();
      const field = tag >>> 3;
      const requestCase = REQUEST_CASES[field];
      if (requestCase !== undefined) {
        expectWireType(tag, LENGTH_DELIMITED);
        if (message.request !== undefined) throw NOT_HANDLED;
        const end = reader.payloadEnd();
        if (field <= 3)
          message[requestCase as 'request_headers'] = httpHeaders(reader, end, options.maxHeaders);
        else if (field <= 5) message[requestCase as 'request_body'] = httpBody(reader, end);
        else message[requestCase as 'request_trailers'] = httpTrailers(reader, end, options.maxHeaders);
        message.request = requestCase;
      } else if (field === METADATA_CONTEXT) {
        // Struct values, rare and varied: the field alone is a ProcessingRequest holding only metadata_context,
        // which the full decoder reads exactly as it reads the whole message.
        expectWireType(tag, LENGTH_DELIMITED);
        if (message.metadata_context !== undefined) throw NOT_HANDLED;
        const end = reader.payloadEnd();
        message.metadata_context = options.decodeFull(bytes.subarray(fieldStart, end)).metadata_context;
        reader.pos = end;
      } else if (field === PROTOCOL_CONFIG) {
        expectWireType(tag, LENGTH_DELIMITED);
        if (message.protocol_config !== undefined) throw NOT_HANDLED;
        message.protocol_config = protocolConfig(reader, reader.payloadEnd());
      } else if (field === OBSERVABILITY_MODE) {
        expectWireType(tag, VARINT);
        message.observability_mode = reader.bool();
      } else {
        throw NOT_HANDLED;
      }
    }
  } catch {
    // NOT_HANDLED, or a metadata decoding error: the full decoder reads (or reports) the message.
    return undefined;
  }
  return message;
}
