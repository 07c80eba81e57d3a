// The router's grpc.health.v1.Health, seen by a client built from the official health.proto (grpc-health-check's
// definition, loaded by proto-loader): the hand-written codecs must match the proto on the wire.
import * as grpc from '@grpc/grpc-js';
import { service as protoHealthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthService } from '../../../src/server/health-service.ts';

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;
interface HealthClient extends grpc.Client {
  check(request: { service: string }, callback: Callback<{ status: string }>): void;
  list(request: object, callback: Callback<{ statuses: Record<string, { status: string }> }>): void;
  watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
}

const server = new grpc.Server();
const health = new HealthService({
  '': 'NOT_SERVING',
  'envoy.service.ext_proc.v3.ExternalProcessor': 'SERVING',
});
let client: HealthClient;

beforeAll(async () => {
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const Client = grpc.makeGenericClientConstructor(protoHealthService, 'Health');
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
});

afterAll(() => {
  client.close();
  server.forceShutdown();
});

const check = (service: string) =>
  new Promise<{ status?: string; code?: number; details?: string }>((resolve) =>
    client.check({ service }, (error, value) =>
      resolve(error ? { code: error.code, details: error.details } : { status: value?.status }),
    ),
  );

describe('grpc.health.v1 service', () => {
  it('answers Check with each service status, and NOT_FOUND for a service it does not know', async () => {
    expect(await check('')).toEqual({ status: 'NOT_SERVING' });
    expect(await check('envoy.service.ext_proc.v3.ExternalProcessor')).toEqual({ status: 'SERVING' });
    expect(await check('nope')).toEqual({
      code: grpc.status.NOT_FOUND,
      details: 'Health status unknown for service nope',
    });
    health.setStatus('', 'SERVING');
    expect(await check('')).toEqual({ status: 'SERVING' });
  });

  it('streams the current status to a watcher, then every change, SERVICE_UNKNOWN until a service is known', async () => {
    const seen: string[] = [];
    const stream = client.watch({ service: 'later' });
    await new Promise<void>((resolve) => {
      stream.on('data', (message: { status: string }) => {
        seen.push(message.status);
        if (seen.length === 1) health.setStatus('later', 'SERVING');
        if (seen.length === 2) health.setStatus('later', 'NOT_SERVING');
        if (seen.length === 3) resolve();
      });
    });
    // Cancelling ends the stream with CANCELLED: the expected way for a watcher to leave.
    stream.on('error', () => {});
    stream.cancel();
    expect(seen).toEqual(['SERVICE_UNKNOWN', 'SERVING', 'NOT_SERVING']);
  });

  it('lists every service with its status', async () => {
    const listed = await new Promise<Record<string, { status: string }> | undefined>((resolve, reject) =>
      client.list({}, (error, value) => (error ? reject(error) : resolve(value?.statuses))),
    );
    expect(listed?.['envoy.service.ext_proc.v3.ExternalProcessor']).toEqual({ status: 'SERVING' });
    expect(Object.keys(listed ?? {})).toContain('');
  });
});
