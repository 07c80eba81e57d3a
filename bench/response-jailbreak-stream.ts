// CPU cost of response_jailbreak `action: block` on streamed answers (docs/response-checks.md):
//   node --import tsx bench/response-jailbreak-stream.ts [--data ../shared/data] [--answers 200]
// Benign answers (AlpacaEval instructions joined to ~2,000 characters) are streamed as OpenAI chat chunks, cut into
// 512-byte pieces, through the router's StreamProcessor in process, with no plugin and with the plugin; prints the
// CPU time per answer of each and how many pieces the plugin held back. The model is loaded before timing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { createRequestRouter } from '../src/pipeline.ts';
import { builtinJailbreakClassifier } from '../src/plugins/response-classifier.ts';
import { compilePolicyText } from '../src/policy/load-policy.ts';
import type { Policy } from '../src/policy/policy.ts';
import { StreamProcessor } from '../src/server/stream-processor.ts';
import { parseCsvRecords } from './csv.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    answers: { type: 'string', default: '200' },
  },
});
const instructions = parseCsvRecords(
  readFileSync(
    path.resolve(values.data as string, 'alpacaeval-prompts', 'alpaca_eval_instructions.csv'),
    'utf8',
  ),
).map((row) => row.instruction ?? '');
const answers: string[] = [];
for (let i = 0, text = ''; answers.length < Number(values.answers); i++) {
  text += `${instructions[i % instructions.length]} `;
  if (text.length >= 2000) {
    answers.push(text);
    text = '';
  }
}

function sse(text: string): Buffer[] {
  const words = text.split(/(?<= )/);
  const frames: string[] = [];
  for (let i = 0; i < words.length; i += 5)
    frames.push(
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: words.slice(i, i + 5).join('') } }] })}\n\n`,
    );
  frames.push('data: [DONE]\n\n');
  const bytes = Buffer.from(frames.join(''));
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 512) pieces.push(bytes.subarray(at, at + 512));
  return pieces;
}

async function policyWith(plugins: unknown[]): Promise<Policy> {
  return compilePolicyText(
    YAML.stringify({
      version: 'v1',
      default_model: 'm',
      pools: [{ name: 'p', max_context_tokens: 32768 }],
      models: [{ name: 'm', pools: ['p'] }],
      routing: { decisions: [{ name: 'd', modelRefs: [{ model: 'm' }], plugins }] },
    }),
    'bench.yaml',
  );
}

async function run(policy: Policy): Promise<{ cpuUs: number; held: number; pieces: number; cut: number }> {
  const router = createRequestRouter(policy);
  let held = 0;
  let pieces = 0;
  let cut = 0;
  const start = process.cpuUsage();
  for (const answer of answers) {
    const processor = new StreamProcessor(router, {
      maxBodyBytes: 1 << 20,
      failOpen: false,
      onUnexpectedError: () => {},
    });
    processor.onRequestHeaders(
      new Map([
        [':method', 'POST'],
        [':path', '/v1/chat/completions'],
      ]),
      false,
    );
    await processor.onRequestBody(
      Buffer.from(
        JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      ),
      true,
    );
    await processor.onResponseHeaders(
      new Map([
        [':status', '200'],
        ['content-type', 'text/event-stream'],
      ]),
    );
    const chunks = sse(answer);
    for (let i = 0; i < chunks.length; i++) {
      const result = await processor.onResponseBody(chunks[i] as Buffer, i === chunks.length - 1);
      pieces++;
      if (result.kind === 'continue' && result.body?.length === 0) held++;
      if (result.kind === 'continue' && result.body && Buffer.from(result.body).includes('"error"')) cut++;
    }
    processor.release();
  }
  const used = process.cpuUsage(start);
  return { cpuUs: (used.user + used.system) / answers.length, held, pieces, cut };
}

await builtinJailbreakClassifier();
const plain = await policyWith([]);
const guarded = await policyWith([{ type: 'response_jailbreak', configuration: { action: 'block' } }]);
await run(guarded); // warm-up
const base = await run(plain);
const checked = await run(guarded);
const chars = answers.reduce((sum, a) => sum + a.length, 0) / answers.length;
console.log(`${answers.length} streamed answers of ~${Math.round(chars)} characters, 512-byte pieces`);
console.log(`  no plugin                     ${(base.cpuUs / 1000).toFixed(2)} ms CPU per answer`);
console.log(`  response_jailbreak (block)    ${(checked.cpuUs / 1000).toFixed(2)} ms CPU per answer`);
console.log(
  `  added                         ${((checked.cpuUs - base.cpuUs) / chars).toFixed(2)} µs CPU per answer character`,
);
console.log(
  `  pieces held back (sent later) ${((100 * checked.held) / checked.pieces).toFixed(1)} % of ${checked.pieces}`,
);
console.log(`  benign answers cut (false positives) ${checked.cut} of ${answers.length}`);
plain.close();
guarded.close();
process.exit(0);
