// Full fleet simulations: every shipped trace through policies/default.yaml and its example fleet, once per pool
// strategy, with the simulation's own speed (trace requests per wall-clock second) beside the figures it prints.
// Usage: node --import tsx bench/simulate.ts [--data ../shared/data] [--limit N] [--strategies a,b] [--out dir]
//        [--policy policies/default.yaml] [--fleet examples/default.fleet.yaml]
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { simulateCommand } from '../src/cli/simulate.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data' },
    limit: { type: 'string' },
    strategies: { type: 'string' },
    out: { type: 'string' },
    policy: { type: 'string', default: 'policies/default.yaml' },
    fleet: { type: 'string', default: 'examples/default.fleet.yaml' },
  },
});

const traces = [
  'mooncake-trace/conversation_trace.jsonl',
  'azure-llm-trace/AzureLLMInferenceTrace_conv.csv',
  'azure-llm-trace/AzureLLMInferenceTrace_code.csv',
];

let failed = false;
for (const trace of traces) {
  const file = path.join(values.data, trace);
  const args = ['--policy', values.policy, '--trace', file, '--fleet', values.fleet];
  if (values.limit) args.push('--limit', values.limit);
  if (values.strategies) args.push('--strategies', values.strategies);
  if (values.out) args.push('--out', path.join(values.out, path.basename(trace).replace(/\.\w+$/, '')));
  process.stdout.write(`\n=== ${trace}\n`);
  const started = performance.now();
  const code = await simulateCommand(args, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stdout.write(text),
  });
  process.stdout.write(`(whole command: ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  failed ||= code !== 0;
}
process.exitCode = failed ? 1 : 0;
