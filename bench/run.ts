// `npm run bench`: the router and a no-op ext_proc server, each in its own process, driven in turn by the
// same load generator (a third process) with the same request mix; prints CPU per request, latency,
// throughput, RSS and the router/no-op ratios against the budgets in DESIGN.md.
// Usage: npm run bench [-- --json] [--policy FILE] [--data DIR relative to the repo root]
// Durations, concurrency and the client are set by BENCH_* variables: see bench/load-generator.ts.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { runToCompletion, type ServerProcess, startServer, terminateAll } from './child-processes.ts';
import { REPO_ROOT } from './ext-proc-proto.ts';
import { buildReport, formatReport } from './report.ts';
import type { GeneratorResult } from './results.ts';

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

interface Target {
  readonly name: string;
  readonly verify: 'noop' | 'router';
  readonly serverArgs: readonly string[];
}

const HOST = '127.0.0.1';

async function measure(target: Target, data: string | undefined): Promise<GeneratorResult> {
  process.stderr.write(`${target.name}: starting server\n`);
  const server: ServerProcess = await startServer(target.name, target.serverArgs);
  try {
    process.stderr.write(`${target.name}: pid ${server.pid}, port ${server.port}\n`);
    const stdout = await runToCompletion([
      'bench/load-generator.ts',
      '--target',
      `${HOST}:${server.port}`,
      '--pid',
      String(server.pid),
      '--verify',
      target.verify,
      ...(data ? ['--data', data] : []),
    ]);
    return JSON.parse(stdout) as GeneratorResult;
  } catch (error) {
    process.stderr.write(`${target.name} server log (last lines):\n${server.logTail().join('\n')}\n`);
    throw error;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      policy: { type: 'string', default: process.env.BENCH_POLICY ?? 'policies/default.yaml' },
      data: { type: 'string' },
    },
  });
  // Both servers run the compiled JavaScript (`npm run build`), as `npm start` does.
  process.stderr.write('building (npm run build)\n');
  execFileSync(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const noopTarget: Target = {
    name: 'no-op',
    verify: 'noop',
    serverArgs: ['dist/bench/noop-ext-proc-server.js', '--port', '0', '--host', HOST],
  };
  const routerTarget: Target = {
    name: 'router',
    verify: 'router',
    serverArgs: ['dist/src/cli/main.js', 'serve', '--policy', values.policy, '--port', '0', '--host', HOST],
  };
  // One after the other: each server has the machine to itself (and the load generator).
  const noop = await measure(noopTarget, values.data);
  const router = await measure(routerTarget, values.data);
  const report = buildReport(noop, router);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  const failed = noop.errors + noop.mismatches + router.errors + router.mismatches;
  return failed > 0 ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    terminateAll();
    process.exit(130);
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
