// grpc.health.v1.Health on the ext_proc port (Kubernetes gRPC probes, Envoy health checks): Check, Watch and List.
// Its messages are a string, an enum and a map of them, so they are encoded here by hand: the router no longer
// parses health.proto with proto-loader at start-up (grpc-health-check did so on import, ~25 ms before ready).
import * as grpc from '@grpc/grpc-js';
import { lengthDelimitedField, varintBytes, WireCursor } from '../protobuf-wire.ts';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const STATUS_NUMBERS: Readonly<Record<ServingStatus, number>> = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
};
const STATUS_NAMES = Object.keys(STATUS_NUMBERS) as ServingStatus[];

/** Like grpc-health-check: List refuses to answer past this many services. */
const LIST_LIMIT = 100;

interface CheckRequest {
  readonly service: string;
}
interface CheckResponse {
  readonly status: ServingStatus;
}
interface ListResponse {
  readonly statuses: Readonly<Record<string, CheckResponse>>;
}

const MALFORMED_HEALTH_MESSAGE = new Error('malformed health message');

/** Every field of a message as (number, varint value or bytes); groups and unknown wire types make it invalid. */
function* fieldsOf(message: Buffer): Generator<[number, number | Buffer]> {
  const cursor = new WireCursor(message, MALFORMED_HEALTH_MESSAGE);
  while (!cursor.atEnd) {
    const key = cursor.uint32();
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) yield [field, cursor.uint32()];
    else if (wireType === 2) yield [field, cursor.lengthDelimited() as Buffer];
    else if (wireType === 1 || wireType === 5) cursor.skipValue(wireType);
    else throw MALFORMED_HEALTH_MESSAGE;
  }
}

const encodeCheckRequest = ({ service }: CheckRequest): Buffer =>
  service ? lengthDelimitedField(1, Buffer.from(service)) : Buffer.alloc(0);

function decodeCheckRequest(bytes: Buffer): CheckRequest {
  let service = '';
  for (const [field, value] of fieldsOf(bytes))
    if (field === 1 && Buffer.isBuffer(value)) service = value.toString();
  return { service };
}

function encodeCheckResponse({ status }: CheckResponse): Buffer {
  const number = STATUS_NUMBERS[status];
  return number === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...varintBytes(number)]);
}

function decodeCheckResponse(bytes: Buffer): CheckResponse {
  let status: ServingStatus = 'UNKNOWN';
  for (const [field, value] of fieldsOf(bytes))
    if (field === 1 && typeof value === 'number') status = STATUS_NAMES[value] ?? 'UNKNOWN';
  return { status };
}

function encodeListResponse({ statuses }: ListResponse): Buffer {
  return Buffer.concat(
    Object.entries(statuses).map(([service, response]) =>
      lengthDelimitedField(
        1,
        Buffer.concat([
          lengthDelimitedField(1, Buffer.from(service)),
          lengthDelimitedField(2, encodeCheckResponse(response)),
        ]),
      ),
    ),
  );
}

function decodeListResponse(bytes: Buffer): ListResponse {
  const statuses: Record<string, CheckResponse> = {};
  for (const [, entry] of fieldsOf(bytes)) {
    if (!Buffer.isBuffer(entry)) continue;
    let service = '';
    let response: CheckResponse = { status: 'UNKNOWN' };
    for (const [field, value] of fieldsOf(entry)) {
      if (field === 1 && Buffer.isBuffer(value)) service = value.toString();
      if (field === 2 && Buffer.isBuffer(value)) response = decodeCheckResponse(value);
    }
    statuses[service] = response;
  }
  return { statuses };
}

const PATH = '/grpc.health.v1.Health/';

const method = <Request, Response>(
  name: string,
  responseStream: boolean,
  request: [(value: Request) => Buffer, (bytes: Buffer) => Request],
  response: [(value: Response) => Buffer, (bytes: Buffer) => Response],
): grpc.MethodDefinition<Request, Response> => ({
  path: `${PATH}${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: request[0],
  requestDeserialize: request[1],
  responseSerialize: response[0],
  responseDeserialize: response[1],
});

const checkRequestCodec: [(value: CheckRequest) => Buffer, (bytes: Buffer) => CheckRequest] = [
  encodeCheckRequest,
  decodeCheckRequest,
];
const checkResponseCodec: [(value: CheckResponse) => Buffer, (bytes: Buffer) => CheckResponse] = [
  encodeCheckResponse,
  decodeCheckResponse,
];

/** The service definition (clients may use it too: `grpc.makeGenericClientConstructor(HEALTH_SERVICE, 'Health')`). */
export const HEALTH_SERVICE = {
  Check: method('Check', false, checkRequestCodec, checkResponseCodec),
  Watch: method('Watch', true, checkRequestCodec, checkResponseCodec),
  List: method<Record<string, never>, ListResponse>(
    'List',
    false,
    [() => Buffer.alloc(0), () => ({})],
    [encodeListResponse, decodeListResponse],
  ),
} satisfies grpc.ServiceDefinition;

/** The serving status of each service name ('' is the whole server), with watchers told of every change. */
export class HealthService {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  constructor(initial: Readonly<Record<string, ServingStatus>>) {
    for (const [service, status] of Object.entries(initial)) this.#statuses.set(service, status);
  }

  setStatus(service: string, status: ServingStatus): void {
    this.#statuses.set(service, status);
    for (const watcher of this.#watchers.get(service) ?? []) watcher(status);
  }

  addToServer(server: grpc.Server): void {
    server.addService(HEALTH_SERVICE, {
      Check: (
        call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>,
        callback: grpc.sendUnaryData<CheckResponse>,
      ) => {
        const status = this.#statuses.get(call.request.service);
        if (status) callback(null, { status });
        else
          callback({
            code: grpc.status.NOT_FOUND,
            details: `Health status unknown for service ${call.request.service}`,
          });
      },
      Watch: (call: grpc.ServerWritableStream<CheckRequest, CheckResponse>) => {
        const service = call.request.service;
        const watcher = (status: ServingStatus) => call.write({ status });
        const watchers = this.#watchers.get(service) ?? new Set();
        this.#watchers.set(service, watchers.add(watcher));
        call.on('cancelled', () => watchers.delete(watcher));
        call.write({ status: this.#statuses.get(service) ?? 'SERVICE_UNKNOWN' });
      },
      List: (
        _call: grpc.ServerUnaryCall<unknown, ListResponse>,
        callback: grpc.sendUnaryData<ListResponse>,
      ) => {
        if (this.#statuses.size > LIST_LIMIT) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'Too many services to list.' });
          return;
        }
        callback(null, {
          statuses: Object.fromEntries([...this.#statuses].map(([service, status]) => [service, { status }])),
        });
      },
    });
  }
}
