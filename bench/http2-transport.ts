// A lean transport (BENCH_CLIENT=http2): gRPC framing written by hand on node:http2 sessions, for when the
// grpc-js client would make the load generator the bottleneck. Same messages, same checks; per request it
// costs the generator about half of what grpc-js does.

import http2 from 'node:http2';
import { Exchange, type ExtProcTransport, type StreamOutcome, type VerifyMode } from './ext-proc-exchange.ts';
import type { ProcessMethod } from './ext-proc-proto.ts';
import type { WorkItem } from './workload.ts';

const GRPC_HEADER_BYTES = 5;
const FLOW_CONTROL_WINDOW = 64 * 1024 * 1024;

/** A length-prefixed gRPC message (uncompressed). */
function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(message.length + GRPC_HEADER_BYTES);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, GRPC_HEADER_BYTES);
  return framed;
}

/** Splits the DATA byte stream of one gRPC call into messages. */
class MessageReader {
  private pending: Buffer | undefined;

  *push(chunk: Buffer): Generator<Buffer> {
    let buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    while (buffer.length >= GRPC_HEADER_BYTES) {
      const length = buffer.readUInt32BE(1);
      if (buffer.length < GRPC_HEADER_BYTES + length) break;
      yield buffer.subarray(GRPC_HEADER_BYTES, GRPC_HEADER_BYTES + length);
      buffer = buffer.subarray(GRPC_HEADER_BYTES + length);
    }
    if (buffer.length > 0) this.pending = buffer;
  }
}

export class Http2Transport implements ExtProcTransport {
  private readonly sessions: http2.ClientHttp2Session[];
  private readonly framed = new WeakMap<WorkItem, Buffer[]>();
  private readonly headers: http2.OutgoingHttpHeaders;
  private next = 0;

  constructor(
    target: string,
    connections: number,
    private readonly method: ProcessMethod,
    private readonly mode: VerifyMode,
  ) {
    this.sessions = Array.from({ length: connections }, () => {
      const session = http2.connect(`http://${target}`, {
        // Envoy's HTTP/2 windows are large (256 MiB by default): long answers never wait for WINDOW_UPDATEs.
        settings: { initialWindowSize: FLOW_CONTROL_WINDOW },
      });
      session.on('connect', () => session.setLocalWindowSize(FLOW_CONTROL_WINDOW));
      session.on('error', () => {});
      return session;
    });
    this.headers = {
      ':method': 'POST',
      ':path': method.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'semantic-router-bench',
    };
  }

  async ready(): Promise<void> {
    await Promise.all(
      this.sessions.map(
        (session) =>
          new Promise<void>((resolve, reject) => {
            if (session.connecting === false) return resolve();
            session.once('connect', () => resolve());
            session.once('error', reject);
          }),
      ),
    );
  }

  run(item: WorkItem): Promise<StreamOutcome> {
    const session = this.sessions[this.next++ % this.sessions.length] as http2.ClientHttp2Session;
    const messages = this.framedMessages(item);
    const exchange = new Exchange(item, this.mode);
    const reader = new MessageReader();
    return new Promise((resolve) => {
      let status: string | undefined;
      const stream = session.request(this.headers, { endStream: false });
      const readStatus = (headers: http2.IncomingHttpHeaders) => {
        const code = headers['grpc-status'];
        if (code === undefined) return;
        status = String(code);
        if (status !== '0') exchange.onError(`grpc status ${status}: ${headers['grpc-message'] ?? ''}`);
      };
      stream.on('response', readStatus);
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => {
        for (const bytes of reader.push(chunk)) {
          if (exchange.onAnswer(this.method.responseDeserialize(bytes)))
            stream.write(messages[exchange.nextMessage]);
          else stream.end();
        }
      });
      stream.on('error', (error) => exchange.onError(`http2 ${error.message}`));
      stream.on('close', () => {
        if (status === undefined)
          exchange.onError(`stream closed without grpc-status (rst ${stream.rstCode})`);
        resolve(exchange.finish());
      });
      stream.write(messages[0]);
    });
  }

  close(): void {
    for (const session of this.sessions) session.close();
  }

  private framedMessages(item: WorkItem): Buffer[] {
    let messages = this.framed.get(item);
    if (!messages) {
      messages = item.messages.map(frame);
      this.framed.set(item, messages);
    }
    return messages;
  }
}
