// Protobuf wire-format primitives shared by the hand-written codecs (ext_proc answers, the request-header cap,
// grpc.health.v1, OTLP spans).

const LENGTH_DELIMITED = 2;

/** Bytes of a varint holding `value` (a non-negative integer up to 2^53). */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** The varint bytes of `value` (a non-negative integer up to 2^53). */
export function varintBytes(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** Field `field` of wire type 2 (length-delimited) made of already-encoded parts. */
export function lengthDelimitedField(field: number, parts: Uint8Array | readonly Uint8Array[]): Buffer {
  const payload = Buffer.concat(parts instanceof Uint8Array ? [parts] : parts);
  return Buffer.concat([
    Buffer.from([...varintBytes(field * 8 + LENGTH_DELIMITED), ...varintBytes(payload.length)]),
    payload,
  ]);
}

/** What WireCursor throws (unless given its own error) for bytes that are not a well-formed message. */
export const MALFORMED_MESSAGE = new Error('malformed protobuf message');
/** Groups nested deeper than this are not skipped: the message counts as malformed. */
const MAX_GROUP_DEPTH = 64;

/** Reads tags and lengths and skips values as protobuf's reader does, throwing `malformed` past the end. */
export class WireCursor {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly malformed: Error = MALFORMED_MESSAGE,
  ) {}

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** A varint's low 32 bits (tags, lengths and enums are read so); up to 10 bytes long. */
  uint32(): number {
    let value = 0;
    for (let index = 0; index < 10; index++) {
      if (this.pos >= this.bytes.length) throw this.malformed;
      const byte = this.bytes[this.pos++] as number;
      if (index < 5) value |= (byte & 0x7f) << (7 * index);
      if (byte < 0x80) return value >>> 0;
    }
    throw this.malformed;
  }

  skip(length: number): void {
    if (this.pos + length > this.bytes.length) throw this.malformed;
    this.pos += length;
  }

  /** The payload of a length-delimited field whose tag was read: a view, no copy. */
  lengthDelimited(): Uint8Array {
    const length = this.uint32();
    const start = this.pos;
    this.skip(length);
    return this.bytes.subarray(start, this.pos);
  }

  /** Skips the value of a field of `wireType` whose tag was read (groups whole). */
  skipValue(wireType: number, depth = 0): void {
    switch (wireType) {
      case 0:
        this.uint32();
        return;
      case 1:
        this.skip(8);
        return;
      case LENGTH_DELIMITED:
        this.skip(this.uint32());
        return;
      case 3: // a group: its fields up to the END_GROUP tag
        if (depth >= MAX_GROUP_DEPTH) throw this.malformed;
        for (let inner = this.uint32() & 7; inner !== 4; inner = this.uint32() & 7)
          this.skipValue(inner, depth + 1);
        return;
      case 5:
        this.skip(4);
        return;
      default:
        throw this.malformed;
    }
  }
}
