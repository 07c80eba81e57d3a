// A protobuf writer for the OTLP span encoder: one growable buffer, written in a single pass. A nested message
// (or string) reserves one length byte, is written, then gets its length; the rare one of 128 bytes or more moves
// its content up by the extra length bytes. Only the wire types OTLP traces use.

import { varintSize } from '../protobuf-wire.ts';
import { HEX_DIGIT_VALUES } from './hex-digits.ts';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const TWO_POW_32 = 0x1_0000_0000;

/** Bytes a length-delimited field of `length` bytes takes after its tag. */
export function lengthDelimitedSize(length: number): number {
  return varintSize(length) + length;
}

export class ProtoWriter {
  private buffer: Buffer;
  pos = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written: the writer's buffer is reused. */
  copy(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.pos));
  }

  /** The written bytes without copying; valid until the next write or reset. */
  view(): Buffer {
    return this.buffer.subarray(0, this.pos);
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, needed));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  /** A non-negative integer up to 2^53. */
  varint(value: number): void {
    this.ensure(10);
    const buffer = this.buffer;
    let pos = this.pos;
    while (value >= 0x80) {
      buffer[pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[pos++] = value;
    this.pos = pos;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  varintField(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  /** An int64 field (two's complement for negatives, as protobuf writes them). */
  int64Field(field: number, value: number): void {
    this.tag(field, WIRE_VARINT);
    if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.varint(value);
      return;
    }
    let bits = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (bits >= 0x80n) {
      this.buffer[this.pos++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    this.buffer[this.pos++] = Number(bits);
  }

  doubleField(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  fixed32Field(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  /** A fixed64 of `seconds * 1e9 + nanos` without losing precision to doubles. */
  fixed64NanosField(field: number, seconds: number, nanos: number): void {
    this.tag(field, WIRE_FIXED64);
    this.ensure(8);
    // seconds * 1e9 = seconds * 1953125 * 2^9, and seconds * 1953125 stays below 2^53 until the year 2^26.
    const scaled = seconds * 1_953_125;
    const scaledHigh = Math.floor(scaled / TWO_POW_32);
    const scaledLow = scaled - scaledHigh * TWO_POW_32;
    // (scaledHigh * 2^32 + scaledLow) * 2^9 + nanos, split into 32-bit halves.
    const lowTimes512 = scaledLow * 512 + nanos;
    const carry = Math.floor(lowTimes512 / TWO_POW_32);
    this.buffer.writeUInt32LE(lowTimes512 - carry * TWO_POW_32, this.pos);
    this.buffer.writeUInt32LE((scaledHigh * 512 + carry) >>> 0, this.pos + 4);
    this.pos += 8;
  }

  stringField(field: number, value: string): void {
    this.tag(field, WIRE_LENGTH);
    this.ensure(value.length * 3 + 5);
    const start = this.pos++;
    const buffer = this.buffer;
    let pos = this.pos;
    const length = value.length;
    let i = 0;
    // ASCII byte by byte (keys and most values); the rest through the UTF-8 encoder.
    for (; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      buffer[pos++] = code;
    }
    if (i < length) pos += buffer.write(i === 0 ? value : value.slice(i), pos, 'utf8');
    this.pos = pos;
    this.endField(start);
  }

  bytesField(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LENGTH);
    this.varint(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** A bytes field from lower-case hex (trace and span ids). */
  hexBytesField(field: number, hex: string): void {
    this.tag(field, WIRE_LENGTH);
    const length = hex.length >>> 1;
    this.varint(length);
    this.ensure(length);
    // Ids are 16 or 32 hex digits: decoded here, cheaper than a call into Buffer#write. Like Buffer#write, it
    // stops at the first pair that is not hex.
    const buffer = this.buffer;
    let pos = this.pos;
    for (let i = 0; i < length; i++) {
      const high = HEX_DIGIT_VALUES[hex.charCodeAt(2 * i)] ?? -1;
      const low = HEX_DIGIT_VALUES[hex.charCodeAt(2 * i + 1)] ?? -1;
      if ((high | low) < 0) break;
      buffer[pos++] = (high << 4) | low;
    }
    this.pos = pos;
  }

  /** Starts a length-delimited field (a nested message); returns what `endField` takes. */
  beginField(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.ensure(1);
    return this.pos++;
  }

  endField(start: number): void {
    const length = this.pos - start - 1;
    if (length < 0x80) {
      (this.buffer as Uint8Array)[start] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buffer.copyWithin(start + 1 + extra, start + 1, this.pos);
    const end = this.pos + extra;
    this.pos = start;
    this.varint(length);
    this.pos = end;
  }

  /**
   * The buffer, with room for `extra` more bytes from `pos`, for a caller that writes a known-size run itself and
   * then moves `pos`. Valid until the next call on the writer.
   */
  room(extra: number): Buffer {
    this.ensure(extra);
    return this.buffer;
  }

  /** Bytes already encoded as one field (tag included). */
  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    if (length > 64) {
      this.buffer.set(bytes, this.pos);
      this.pos += length;
      return;
    }
    // Short runs (attribute keys) copy faster byte by byte than through set().
    const buffer = this.buffer;
    let pos = this.pos;
    for (let i = 0; i < length; i++) buffer[pos++] = bytes[i] as number;
    this.pos = pos;
  }
}
