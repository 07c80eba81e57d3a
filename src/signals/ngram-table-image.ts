// A stored image of the language detector's packed n-gram table, written by `npm run build` (dist/eld-ngrams.bin,
// scripts/build-ngram-image.mjs) and read at start: parsing eld's ~950 KB n-gram module costs ~50 ms of a cold
// start, reading the image a few. The image names the SHA-1 of the module source it was made from: after an eld
// upgrade (or with any other source) it is stale and the source is parsed, as without an image.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NgramTableParts, PackedNgramTable } from './compact-eld.ts';

const MAGIC = 'ELDT';
const FORMAT = 1;

interface ImageHeader {
  readonly format: number;
  readonly sourceSha1: string;
  readonly type: string;
  readonly languages: Record<number, string>;
  readonly ngramCount: number;
  readonly other: [string, number][];
  readonly packedSlots: number;
  readonly pairs: number;
}

export function sourceDigest(source: Uint8Array): string {
  return createHash('sha1').update(source).digest('hex');
}

const align8 = (offset: number) => Math.ceil(offset / 8) * 8;

/** The arrays of an image in their order, each with its element size. */
function sections(header: ImageHeader) {
  return [
    ['packedKeys', 8, header.packedSlots],
    ['packedValues', 4, header.packedSlots],
    ['offsets', 4, header.ngramCount + 1],
    ['scores', 4, header.pairs],
    ['languageIndexes', 1, header.pairs],
  ] as const;
}

/** The image of `parts`, made from the module source whose digest is `sourceSha1`. */
export function encodeNgramTableImage(parts: NgramTableParts, sourceSha1: string): Buffer {
  const header: ImageHeader = {
    format: FORMAT,
    sourceSha1,
    type: parts.type,
    languages: { ...parts.languages },
    ngramCount: parts.ngramCount,
    other: parts.other.map(([ngram, index]) => [ngram, index]),
    packedSlots: parts.packedKeys.length,
    pairs: parts.scores.length,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const chunks: Uint8Array[] = [Buffer.from(MAGIC, 'latin1'), Buffer.alloc(4)];
  (chunks[1] as Buffer).writeUInt32LE(headerBytes.length);
  chunks.push(headerBytes);
  let offset = 8 + headerBytes.length;
  for (const [name, , length] of sections(header)) {
    const padding = align8(offset) - offset;
    if (padding > 0) chunks.push(Buffer.alloc(padding));
    const array = parts[name];
    if (array.length !== length)
      throw new Error(`n-gram table ${name}: ${array.length} entries, not ${length}`);
    const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    chunks.push(bytes);
    offset = align8(offset) + bytes.length;
  }
  return Buffer.concat(chunks);
}

function parseHeader(image: Buffer): { header: ImageHeader; end: number } | undefined {
  if (image.length < 8 || image.toString('latin1', 0, 4) !== MAGIC) return undefined;
  const end = 8 + image.readUInt32LE(4);
  if (end > image.length) return undefined;
  const header = JSON.parse(image.toString('utf8', 8, end)) as ImageHeader;
  return header.format === FORMAT ? { header, end } : undefined;
}

/**
 * The table an image holds when it was made from this module source; undefined for a stale, damaged or missing
 * image (the caller parses the source).
 */
export function decodeNgramTableImage(
  image: Buffer,
  source: Uint8Array,
  build: (parts: NgramTableParts) => PackedNgramTable | undefined,
): PackedNgramTable | undefined {
  try {
    const parsed = parseHeader(image);
    if (!parsed || parsed.header.sourceSha1 !== sourceDigest(source)) return undefined;
    const { header } = parsed;
    let offset = parsed.end;
    const arrays: Record<string, ArrayBuffer> = {};
    for (const [name, size, length] of sections(header)) {
      const start = align8(offset);
      const end = start + size * length;
      if (end > image.length) return undefined;
      // A copy: typed arrays need their element alignment, which the file's buffer does not promise.
      arrays[name] = new Uint8Array(image.subarray(start, end)).buffer;
      offset = end;
    }
    return build({
      type: header.type,
      languages: header.languages,
      ngramCount: header.ngramCount,
      other: header.other,
      packedKeys: new Float64Array(arrays.packedKeys as ArrayBuffer),
      packedValues: new Int32Array(arrays.packedValues as ArrayBuffer),
      offsets: new Uint32Array(arrays.offsets as ArrayBuffer),
      scores: new Int32Array(arrays.scores as ArrayBuffer),
      languageIndexes: new Uint8Array(arrays.languageIndexes as ArrayBuffer),
    });
  } catch {
    return undefined;
  }
}

/** decodeNgramTableImage of the file `imageFile`; undefined when there is none. */
export function readNgramTableImage(
  imageFile: string,
  source: Uint8Array,
  build: (parts: NgramTableParts) => PackedNgramTable | undefined,
): PackedNgramTable | undefined {
  let image: Buffer;
  try {
    image = readFileSync(imageFile);
  } catch {
    return undefined;
  }
  return decodeNgramTableImage(image, source, build);
}
