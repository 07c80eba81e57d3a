// Bounds the work a request_headers message can cause before the router sees it. protobuf decoding of 100,000
// headers alone holds the event loop for 100+ ms, so the wire bytes are scanned first (tags and lengths only, up to
// the cap) and a message with more headers than the cap is decoded with `cap + 2` of them: the router answers 431.
import { lengthDelimitedField, MALFORMED_MESSAGE, WireCursor } from '../protobuf-wire.ts';

/** ProcessingRequest.request_headers, HttpHeaders.headers, HeaderMap.headers: all field 1 or 2, length-delimited. */
const REQUEST_HEADERS_FIELD = 2;
const HTTP_HEADERS_MAP_FIELD = 1;
const LENGTH_DELIMITED = 2;
/** Below this size a message cannot hold enough headers to cost more than ~1 ms to decode. */
const SCAN_FROM_BYTES = 8 * 1024;

interface Field {
  readonly number: number;
  readonly wireType: number;
  /** Offsets of the whole field (tag included) and of its payload, in the buffer scanned. */
  readonly start: number;
  readonly payloadStart: number;
  readonly end: number;
}

/**
 * The top-level fields of a message, without decoding them (undefined for malformed bytes: decode as usual); at
 * most `limit` of them.
 */
function fields(bytes: Uint8Array, limit = Number.POSITIVE_INFINITY): Field[] | undefined {
  const cursor = new WireCursor(bytes);
  const out: Field[] = [];
  try {
    while (!cursor.atEnd && out.length < limit) {
      const start = cursor.pos;
      const tag = cursor.uint32();
      const wireType = tag & 7;
      let payloadStart = cursor.pos;
      if (wireType === LENGTH_DELIMITED) {
        const length = cursor.uint32();
        payloadStart = cursor.pos;
        cursor.skip(length);
      } else {
        cursor.skipValue(wireType);
      }
      out.push({ number: tag >>> 3, wireType, start, payloadStart, end: cursor.pos });
    }
  } catch (error) {
    if (error !== MALFORMED_MESSAGE) throw error;
    return undefined;
  }
  return out;
}

function child(bytes: Uint8Array, field: Field): Uint8Array {
  return bytes.subarray(field.payloadStart, field.end);
}

/**
 * The message bytes with at most `cap + 1` request headers (`truncated` then set); the bytes unchanged when they
 * hold no more than `cap`. Reads no further than header `cap + 1`.
 */
export function capRequestHeaders(
  bytes: Uint8Array,
  cap: number,
): { bytes: Uint8Array; truncated?: boolean } {
  // Small messages decode cheaply whatever they hold: skip the scan for the common case.
  if (bytes.length < SCAN_FROM_BYTES) return { bytes };
  const top = fields(bytes);
  const headersField = top?.find(
    (f) => f.number === REQUEST_HEADERS_FIELD && f.wireType === LENGTH_DELIMITED,
  );
  if (!top || !headersField) return { bytes };
  const httpHeaders = child(bytes, headersField);
  const httpFields = fields(httpHeaders);
  const mapField = httpFields?.find(
    (f) => f.number === HTTP_HEADERS_MAP_FIELD && f.wireType === LENGTH_DELIMITED,
  );
  if (!httpFields || !mapField) return { bytes };
  const headerMap = child(httpHeaders, mapField);
  // HeaderMap has no other field than its entries.
  const entries = fields(headerMap, cap + 2);
  if (!entries || entries.length <= cap + 1) return { bytes };
  const keptMap = entries.slice(0, cap + 1).map((entry) => headerMap.subarray(entry.start, entry.end));
  const keptHttp = httpFields.map((field) =>
    field === mapField
      ? lengthDelimitedField(HTTP_HEADERS_MAP_FIELD, keptMap)
      : httpHeaders.subarray(field.start, field.end),
  );
  const message = top.map((field) =>
    field === headersField
      ? lengthDelimitedField(REQUEST_HEADERS_FIELD, keptHttp)
      : bytes.subarray(field.start, field.end),
  );
  return { bytes: Buffer.concat(message), truncated: true };
}
