// The router CLI (src/cli/main.ts) with the response stage reduced to pass-through (bench/response-passthrough.ts):
// what the router did before it read answers. Takes the CLI's arguments.
// Usage: node --import tsx bench/passthrough-router.ts serve --policy FILE --port 0 --admin-port 0
import { patchStreamProcessorToPassThrough } from './response-passthrough.ts';

patchStreamProcessorToPassThrough();
await import('../src/cli/main.ts');
