// Small traces in the layouts of the Azure LLM inference trace (CSV) and the Mooncake trace (JSONL), written to a
// temporary directory when a test imports this module: hand-made rows (no copy of the data sets), good and broken.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TRACES: Readonly<Record<string, string>> = {
  'azure-tiny.csv': `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:46.6805900,374,44
2023-11-16 18:15:50.9951690,396,109
2023-11-16 18:15:51.2224670,879,55
2023-11-16 18:15:51.3910170,91,16
2023-11-16 18:15:51.3910170,1200,8
2023-11-16 18:15:52.0000000,2048,30
`,
  'azure-bad-time.csv': `TIMESTAMP,ContextTokens,GeneratedTokens
yesterday,374,44
`,
  'azure-bad-tokens.csv': `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:46.6805900,374,44
2023-11-16 18:15:50.9951690,many,109
`,
  'mooncake-tiny.jsonl': `{"timestamp": 0, "input_length": 1500, "output_length": 20, "hash_ids": [0, 1, 2]}
{"timestamp": 0, "input_length": 900, "output_length": 12, "hash_ids": [0, 3]}
{"timestamp": 500, "input_length": 2400, "output_length": 30, "hash_ids": [0, 1, 2, 4, 5]}
{"timestamp": 800, "input_length": 700, "output_length": 8, "hash_ids": [0, 6]}
{"timestamp": 1200, "input_length": 1400, "output_length": 16, "hash_ids": [0, 3, 7]}
{"timestamp": 2000, "input_length": 3300, "output_length": 40, "hash_ids": [0, 1, 2, 4, 5, 8, 9]}
{"timestamp": 2100, "input_length": 400, "output_length": 5, "hash_ids": [0]}
{"timestamp": 3000, "input_length": 1100, "output_length": 10, "hash_ids": [0, 6, 10]}
`,
  'mooncake-bad-hash.jsonl': `{"timestamp": 0, "input_length": 1500, "output_length": 20, "hash_ids": [0, 1, 2]}
{"timestamp": 10, "input_length": 900, "output_length": 12, "hash_ids": [0, "three"]}
`,
  'mooncake-not-json.jsonl': `{"timestamp": 0, "input_length": 1500, "output_length": 20}
not json
`,
};

/** The directory holding the trace files, by their names above. */
export const TRACE_DIR = mkdtempSync(path.join(os.tmpdir(), 'simulate-traces-'));
for (const [name, text] of Object.entries(TRACES)) writeFileSync(path.join(TRACE_DIR, name), text);
