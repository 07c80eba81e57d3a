#!/usr/bin/env node
// `npm run build`'s last step: stores the language detector's packed n-gram table as dist/eld-ngrams.bin, which a
// start reads instead of parsing eld's n-gram module (~50 ms). Optional: without it (or with a stale one, after an
// eld upgrade) the router parses the module as before, so a failure here is a warning, not a failed build.
import { NGRAM_IMAGE_FILE, writeNgramTableImage } from '../dist/src/signals/compact-eld.js';

try {
  const bytes = writeNgramTableImage(NGRAM_IMAGE_FILE);
  console.log(`build-ngram-image: ${NGRAM_IMAGE_FILE} (${(bytes / 1024 / 1024).toFixed(1)} MiB)`);
} catch (error) {
  console.warn(`build-ngram-image: no n-gram image (${error instanceof Error ? error.message : error}); starts parse eld's table`);
}
