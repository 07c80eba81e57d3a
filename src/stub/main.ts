// `node dist/src/stub/main.js --pool NAME [--port 8000] [--host 0.0.0.0] [...]`: one stub model server (flags in
// src/stub/flags.ts, behaviour in src/stub/openai-stub.ts).
import type { Server } from 'node:http';
import { parseStubArgs, STUB_USAGE, type StubCommand } from './flags.ts';
import { createStubServer } from './openai-stub.ts';

let command: StubCommand;
let server: Server;
try {
  command = parseStubArgs(process.argv.slice(2));
  server = createStubServer(command.options);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${STUB_USAGE}`);
  process.exit(2);
}
const { pool } = command.options;
server.listen(command.port, command.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : command.port;
  process.stdout.write(`${JSON.stringify({ msg: 'stub listening', pool, port })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
