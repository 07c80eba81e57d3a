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
