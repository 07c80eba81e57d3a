// Typed ONNX graph builder: serialises small graphs to ONNX ModelProto bytes via protobufjs and proto/onnx.
import { endianness } from 'node:os';
import { modelType } from '../ml/onnx-model.ts';

/** ONNX TensorProto.DataType numbers (upstream onnx.proto). */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** Element types the builder accepts by name, mapped to ONNX data types. */
export const ELEM_TYPES = {
  float32: OnnxDataType.FLOAT,
  float64: OnnxDataType.DOUBLE,
  int32: OnnxDataType.INT32,
  int64: OnnxDataType.INT64,
  uint8: OnnxDataType.UINT8,
  int8: OnnxDataType.INT8,
  bool: OnnxDataType.BOOL,
  string: OnnxDataType.STRING,
} as const;

export type ElemType = keyof typeof ELEM_TYPES;

/** A dimension: a fixed size, or a symbolic name such as 'batch' or 'sequence'. */
export type Dim = number | string;

/** Numeric tensor contents the builder stores as little-endian raw_data. */
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

const ATTRIBUTE_TYPE = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** A node attribute; build with the `attr` helpers so int and float attributes are never confused. */
export type OnnxAttribute =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly (number | bigint)[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: TensorData; readonly dims: readonly number[] };

export const attr = {
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  int: (value: number | bigint): OnnxAttribute => ({ kind: 'int', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: 'floats', value }),
  ints: (value: readonly (number | bigint)[]): OnnxAttribute => ({ kind: 'ints', value }),
  strings: (value: readonly string[]): OnnxAttribute => ({ kind: 'strings', value }),
  tensor: (value: TensorData, dims: readonly number[]): OnnxAttribute => ({ kind: 'tensor', value, dims }),
};

/** A graph that cannot be serialised (unknown value name, duplicate name, bad tensor size). */
export class OnnxWriterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxWriterError';
  }
}

export interface OnnxGraphOptions {
  /** Graph name (GraphProto.name). */
  readonly name: string;
  /** Default-domain opset version; 17 unless told. */
  readonly opset?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  readonly modelVersion?: number;
}

/** ONNX IR version written; 8 is read by every ONNX Runtime since 1.10. */
export const IR_VERSION = 8;

// Plain message objects handed to protobufjs; field names are those of proto/onnx/onnx.proto (keepCase).
interface TensorMessage {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}
interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorMessage;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute: AttributeMessage[];
}
interface ValueInfoMessage {
  name: string;
  type: {
    tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } };
  };
}

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

function elemTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return OnnxDataType.FLOAT;
  if (data instanceof Float64Array) return OnnxDataType.DOUBLE;
  if (data instanceof Int32Array) return OnnxDataType.INT32;
  if (data instanceof BigInt64Array) return OnnxDataType.INT64;
  if (data instanceof Int8Array) return OnnxDataType.INT8;
  return OnnxDataType.UINT8;
}

/** Element bytes in the little-endian order ONNX raw_data requires, whatever the host's order. */
function littleEndianBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (HOST_IS_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < data.length; k++) {
    if (data instanceof Float32Array) view.setFloat32(k * 4, data[k] ?? 0, true);
    else if (data instanceof Float64Array) view.setFloat64(k * 8, data[k] ?? 0, true);
    else if (data instanceof Int32Array) view.setInt32(k * 4, data[k] ?? 0, true);
    else if (data instanceof BigInt64Array) view.setBigInt64(k * 8, data[k] ?? 0n, true);
  }
  return bytes;
}

function checkDims(what: string, dims: readonly number[], length: number): void {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxWriterError(`${what}: invalid dimension ${d}`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length) {
    throw new OnnxWriterError(`${what}: dims [${dims.join(', ')}] hold ${size} elements, data has ${length}`);
  }
}

function tensorMessage(name: string, data: TensorData, dims: readonly number[]): TensorMessage {
  checkDims(`tensor '${name}'`, dims, data.length);
  return { name, dims: [...dims], data_type: elemTypeOf(data), raw_data: littleEndianBytes(data) };
}

function toSafeNumber(value: number | bigint, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new OnnxWriterError(`${what}: ${value} is not a safe integer`);
  return n;
}

const utf8 = new TextEncoder();

function attributeMessage(node: string, name: string, a: OnnxAttribute): AttributeMessage {
  const what = `node '${node}' attribute '${name}'`;
  switch (a.kind) {
    case 'float':
      return { name, type: ATTRIBUTE_TYPE.FLOAT, f: a.value };
    case 'int':
      return { name, type: ATTRIBUTE_TYPE.INT, i: toSafeNumber(a.value, what) };
    case 'string':
      return { name, type: ATTRIBUTE_TYPE.STRING, s: utf8.encode(a.value) };
    case 'floats':
      return { name, type: ATTRIBUTE_TYPE.FLOATS, floats: [...a.value] };
    case 'ints':
      return { name, type: ATTRIBUTE_TYPE.INTS, ints: a.value.map((v) => toSafeNumber(v, what)) };
    case 'strings':
      return { name, type: ATTRIBUTE_TYPE.STRINGS, strings: a.value.map((v) => utf8.encode(v)) };
    case 'tensor':
      return { name, type: ATTRIBUTE_TYPE.TENSOR, t: tensorMessage(name, a.value, a.dims) };
  }
}

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): ValueInfoMessage {
  const dim = dims.map((d) => {
    if (typeof d === 'string') return { dim_param: d };
    if (!Number.isSafeInteger(d) || d < 0)
      throw new OnnxWriterError(`value '${name}': invalid dimension ${d}`);
    return { dim_value: d };
  });
  return { name, type: { tensor_type: { elem_type: ELEM_TYPES[elemType], shape: { dim } } } };
}

/**
 * Builds one ONNX model graph. Nodes must be added in topological order (as ONNX requires); `toBytes`
 * checks that every node input names a graph input, an initializer or an earlier node output.
 */
export class OnnxGraphBuilder {
  readonly #options: OnnxGraphOptions;
  readonly #inputs: ValueInfoMessage[] = [];
  readonly #outputs: ValueInfoMessage[] = [];
  readonly #initializers: TensorMessage[] = [];
  readonly #nodes: NodeMessage[] = [];
  readonly #opsets = new Map<string, number>();
  readonly #metadata: { key: string; value: string }[] = [];
  readonly #names = new Set<string>();

  constructor(options: OnnxGraphOptions) {
    this.#options = options;
    this.#opsets.set('', options.opset ?? 17);
  }

  /** Declares a graph input. */
  input(name: string, elemType: ElemType, dims: readonly Dim[]): this {
    this.#define(name);
    this.#inputs.push(valueInfo(name, elemType, dims));
    return this;
  }

  /** Declares a graph output; some node must produce it. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): this {
    if (this.#outputs.some((o) => o.name === name)) throw new OnnxWriterError(`duplicate output '${name}'`);
    this.#outputs.push(valueInfo(name, elemType, dims));
    return this;
  }

  /** Adds a constant weight tensor (stored as little-endian raw_data). */
  initializer(name: string, data: TensorData, dims: readonly number[]): this {
    this.#define(name);
    this.#initializers.push(tensorMessage(name, data, dims));
    return this;
  }

  /** Appends a node; an empty-string input means an omitted optional input, as in ONNX. */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    options: { name?: string; domain?: string } = {},
  ): this {
    const name = options.name ?? `${opType}_${this.#nodes.length}`;
    for (const input of inputs) {
      if (input !== '' && !this.#names.has(input)) {
        throw new OnnxWriterError(`node '${name}' (${opType}): unknown input '${input}'`);
      }
    }
    for (const output of outputs) this.#define(output);
    const message: NodeMessage = {
      input: [...inputs],
      output: [...outputs],
      name,
      op_type: opType,
      attribute: Object.entries(attributes).map(([key, value]) => attributeMessage(name, key, value)),
    };
    if (options.domain !== undefined) message.domain = options.domain;
    this.#nodes.push(message);
    return this;
  }

  /** Imports another operator set (e.g. 'com.microsoft'), or overrides the default domain's version. */
  opset(domain: string, version: number): this {
    this.#opsets.set(domain, version);
    return this;
  }

  /** Adds a ModelProto.metadata_props entry. */
  metadata(key: string, value: string): this {
    this.#metadata.push({ key, value });
    return this;
  }

  /** The serialised ModelProto. */
  toBytes(): Uint8Array {
    for (const output of this.#outputs) {
      if (!this.#names.has(output.name))
        throw new OnnxWriterError(`output '${output.name}' is never produced`);
    }
    const o = this.#options;
    const model = {
      ir_version: IR_VERSION,
      opset_import: [...this.#opsets].map(([domain, version]) => ({ domain, version })),
      producer_name: o.producerName ?? 'semantic-router',
      producer_version: o.producerVersion ?? '0.1.0',
      ...(o.modelVersion === undefined ? {} : { model_version: o.modelVersion }),
      ...(o.docString === undefined ? {} : { doc_string: o.docString }),
      graph: {
        node: this.#nodes,
        name: o.name,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
      metadata_props: this.#metadata,
    };
    const type = modelType();
    const problem = type.verify(model);
    if (problem !== null) throw new OnnxWriterError(`invalid ONNX model: ${problem}`);
    return type.encode(type.fromObject(model)).finish();
  }

  #define(name: string): void {
    if (name === '') throw new OnnxWriterError('value names must not be empty');
    if (this.#names.has(name)) throw new OnnxWriterError(`value '${name}' is defined twice`);
    this.#names.add(name);
  }
}
