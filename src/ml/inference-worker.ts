// Inference worker thread: opens ONNX Runtime sessions by file and runs them off the main event loop.
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import {
  fromWire,
  sessionOptions,
  toWire,
  type WorkerReply,
  type WorkerRequest,
} from './inference-worker-protocol.ts';
import { onnxRuntime } from './onnx-runtime.ts';

const port = parentPort;
if (port === null) throw new Error('inference-worker must run as a worker thread');

const sessions = new Map<number, ort.InferenceSession>();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sessionOf(model: number): ort.InferenceSession {
  const session = sessions.get(model);
  if (session === undefined) throw new Error(`model ${model} is not loaded in this worker`);
  return session;
}

async function answer(
  request: Exclude<WorkerRequest, { kind: 'close' }>,
): Promise<{ reply: WorkerReply; transfer?: ArrayBuffer[] }> {
  const { id, model } = request;
  switch (request.kind) {
    case 'load': {
      const { file, intraOpNumThreads, interOpNumThreads } = request.spec;
      const bytes = await readFile(file);
      const session = await onnxRuntime().InferenceSession.create(
        bytes,
        sessionOptions(intraOpNumThreads, interOpNumThreads),
      );
      sessions.set(model, session);
      return {
        reply: { kind: 'loaded', id, inputNames: session.inputNames, outputNames: session.outputNames },
      };
    }
    case 'run': {
      const outputs = await sessionOf(model).run(fromWire(request.feeds));
      const { feeds, transfer } = toWire(outputs, true);
      return { reply: { kind: 'result', id, outputs: feeds }, transfer };
    }
    case 'release': {
      const session = sessions.get(model);
      sessions.delete(model);
      await session?.release();
      return { reply: { kind: 'released', id } };
    }
  }
}

async function close(): Promise<void> {
  const open = [...sessions.values()];
  sessions.clear();
  await Promise.allSettled(open.map((session) => session.release()));
  port?.close();
}

// One request at a time: runs block this thread anyway, and a session is never released under a queued run.
let queue = Promise.resolve();
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    if (request.kind === 'close') return close();
    try {
      const { reply, transfer } = await answer(request);
      port.postMessage(reply, transfer);
    } catch (error) {
      port.postMessage({ kind: 'failed', id: request.id, message: messageOf(error) } satisfies WorkerReply);
    }
  });
});
