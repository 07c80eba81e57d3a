// Buffer's methods (ranged toString, indexOf as a memchr, copy) on bytes handed over as a plain Uint8Array.

/** A Buffer over the same memory as `bytes`, without a copy: `bytes` itself when it already is one. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
