// `node dist/src/stub/main.js --pool NAME [--port 8000] [--host 0.0.0.0]`: one OpenAI-compatible stub upstream.
import { parseArgs } from 'node:util';
import { createStubServer } from './openai-stub.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    pool: { type: 'string' },
    port: { type: 'string', default: '8000' },
    host: { type: 'string', default: '0.0.0.0' },
  },
});
if (!values.pool) {
  process.stderr.write('usage: stub --pool NAME [--port 8000] [--host 0.0.0.0]\n');
  process.exit(2);
}
const pool = values.pool;
const server = createStubServer({ pool });
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(values.port);
  process.stdout.write(`${JSON.stringify({ msg: 'stub listening', pool, port })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
