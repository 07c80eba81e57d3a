// The build's image of the packed n-gram table: a detector read from it answers as one parsed from eld's source,
// and an image of another source (an eld upgrade) or a damaged one is not used.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type EldDetector,
  loadCompactEld,
  PackedNgramTable,
  parseNgramTable,
  readEldNgramSource,
  writeNgramTableImage,
} from '../../../src/signals/compact-eld.ts';
import {
  decodeNgramTableImage,
  encodeNgramTableImage,
  readNgramTableImage,
  sourceDigest,
} from '../../../src/signals/ngram-table-image.ts';
import { FIFTY_LANGUAGES } from '../../fixtures/fifty-languages.ts';

const dir = mkdtempSync(join(tmpdir(), 'ngram-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = Buffer.from('the n-gram module source');

function smallTable(): PackedNgramTable {
  // Two n-grams that pack into numbers and one that does not (a character ≥ 256), with their language pairs.
  return PackedNgramTable.fromNgrams(
    'T1',
    { 0: 'en', 1: 'de', 2: 'el' },
    [' th', 'ch ', 'αβγ'],
    Uint32Array.from([0, 2, 3, 5]),
    Uint8Array.from([0, 1, 1, 2, 0]),
    Int32Array.from([50, 7, 40, 90, -3]),
  );
}

describe('n-gram table image', () => {
  it('decodes to the table it was made from', () => {
    const table = smallTable();
    const image = encodeNgramTableImage(table.parts(), sourceDigest(source));
    const decoded = decodeNgramTableImage(image, source, PackedNgramTable.fromParts);
    expect(decoded?.parts()).toEqual(table.parts());
    for (const ngram of [' th', 'ch ', 'αβγ', 'xyz'])
      expect(decoded?.scoresOf(ngram)).toEqual(table.scoresOf(ngram));
    expect(decoded?.scoresOf('αβγ')).toEqual({ 2: 90, 0: -3 });
  });

  it('is not used for another source, a damaged file or another format', () => {
    const image = encodeNgramTableImage(smallTable().parts(), sourceDigest(source));
    const decode = (bytes: Buffer, from = source) =>
      decodeNgramTableImage(bytes, from, PackedNgramTable.fromParts);
    expect(decode(image, Buffer.from('an upgraded source'))).toBeUndefined();
    expect(decode(image.subarray(0, image.length - 3))).toBeUndefined();
    expect(decode(image.subarray(0, 20))).toBeUndefined();
    expect(decode(Buffer.concat([Buffer.from('NOPE'), image.subarray(4)]))).toBeUndefined();
    const garbledHeader = Buffer.from(image);
    garbledHeader[10] = 0x7b;
    expect(decode(garbledHeader)).toBeUndefined();
  });

  it("a detector read from the built image answers as one that parsed eld's source", async () => {
    const imageFile = join(dir, 'eld-ngrams.bin');
    expect(writeNgramTableImage(imageFile)).toBeGreaterThan(1024 * 1024);
    const eldSource = readEldNgramSource();
    expect(readNgramTableImage(imageFile, eldSource, PackedNgramTable.fromParts)?.parts()).toEqual(
      parseNgramTable(eldSource.toString('utf8')).parts(),
    );
    const fromImage = await loadCompactEld(imageFile);
    const parsed = await loadCompactEld(join(dir, 'missing.bin'));
    const answer = (detector: EldDetector, text: string) => {
      const result = detector.detect(text);
      return { language: result.language, reliable: result.isReliable(), scores: result.getScores() };
    };
    for (const text of FIFTY_LANGUAGES.map((sample) => sample.text))
      expect(answer(fromImage, text)).toEqual(answer(parsed, text));
    // A damaged image: the source is parsed instead.
    writeFileSync(imageFile, readFileSync(imageFile).subarray(0, 4096));
    const fallback = await loadCompactEld(imageFile);
    expect(answer(fallback, 'Der schnelle braune Fuchs springt über den faulen Hund')).toEqual(
      answer(parsed, 'Der schnelle braune Fuchs springt über den faulen Hund'),
    );
  });
});
