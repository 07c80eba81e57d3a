// The ONNX writer's graphs load and run in ONNX Runtime with the expected numbers, names and shapes.
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../../../src/ml/onnx-model.ts';
import { attr, IR_VERSION, OnnxGraphBuilder, OnnxWriterError } from '../../../src/training/onnx-writer.ts';

const sessions: ort.InferenceSession[] = [];

async function load(bytes: Uint8Array): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(Buffer.from(bytes), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  sessions.push(session);
  return session;
}

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

function floats(tensor: ort.Tensor | undefined): number[] {
  if (tensor === undefined) throw new Error('missing output');
  if (!(tensor.data instanceof Float32Array)) throw new Error(`expected float32 output, got ${tensor.type}`);
  return [...tensor.data];
}

function int64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
}

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) =>
    (b[0] ?? []).map((_, j) => row.reduce((sum, v, k) => sum + v * (b[k]?.[j] ?? Number.NaN), 0)),
  );
}

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

const W1 = [
  [0.5, -1, 0.25, 2],
  [1, 0.5, -0.5, 0],
  [-1, 1, 1, 0.5],
];
const B1 = [0.1, 0, -0.2, 0.3];
const W2 = [
  [1, -1],
  [0.5, 0.5],
  [-1, 2],
  [0.25, 0],
];
const B2 = [0, 0.1];

function mlp(): Uint8Array {
  return new OnnxGraphBuilder({ name: 'mlp', opset: 17 })
    .input('x', 'float32', ['batch', 3])
    .initializer('w1', Float32Array.from(W1.flat()), [3, 4])
    .initializer('b1', Float32Array.from(B1), [4])
    .initializer('w2', Float32Array.from(W2.flat()), [4, 2])
    .initializer('b2', Float32Array.from(B2), [2])
    .node('MatMul', ['x', 'w1'], ['h0'])
    .node('Add', ['h0', 'b1'], ['h1'])
    .node('Relu', ['h1'], ['h2'])
    .node('MatMul', ['h2', 'w2'], ['z0'])
    .node('Add', ['z0', 'b2'], ['logits'])
    .node('Softmax', ['logits'], ['probs'], { axis: attr.int(-1) })
    .output('probs', 'float32', ['batch', 2])
    .toBytes();
}

describe('OnnxGraphBuilder graphs in ONNX Runtime', () => {
  it('runs a MatMul+Add+Relu+Softmax MLP with known weights', async () => {
    const session = await load(mlp());
    const x = [
      [1, 2, 3],
      [-1, 0.5, 0],
    ];
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x.flat()), [2, 3]) });
    const hidden = matmul(x, W1).map((row) => row.map((v, j) => Math.max(0, v + (B1[j] ?? 0))));
    const expected = matmul(hidden, W2).map((row) => softmax(row.map((v, j) => v + (B2[j] ?? 0))));
    expect(out.probs?.dims).toEqual([2, 2]);
    const got = floats(out.probs);
    expected.flat().forEach((v, k) => {
      expect(got[k]).toBeCloseTo(v, 5);
    });
  });

  it('runs an embedding bag (Gather → ReduceMean → MatMul) over int64 token ids', async () => {
    const table = [
      [0, 0],
      [1, 2],
      [3, -1],
      [-2, 4],
    ];
    const w = [
      [1, 0, -1],
      [0, 1, 1],
    ];
    const b = [0.5, 0, -0.5];
    const bytes = new OnnxGraphBuilder({ name: 'embedding_bag', opset: 17 })
      .input('input_ids', 'int64', ['batch', 'sequence'])
      .initializer('embeddings', Float32Array.from(table.flat()), [4, 2])
      .initializer('classifier.weight', Float32Array.from(w.flat()), [2, 3])
      .initializer('classifier.bias', Float32Array.from(b), [3])
      .node('Gather', ['embeddings', 'input_ids'], ['embedded'], { axis: attr.int(0) })
      .node('ReduceMean', ['embedded'], ['pooled'], { axes: attr.ints([1]), keepdims: attr.int(0) })
      .node('MatMul', ['pooled', 'classifier.weight'], ['scores'])
      .node('Add', ['scores', 'classifier.bias'], ['logits'])
      .output('logits', 'float32', ['batch', 3])
      .toBytes();
    const session = await load(bytes);
    const ids = [
      [1, 2, 3],
      [3, 3, 0],
    ];
    const out = await session.run({ input_ids: int64(ids.flat(), [2, 3]) });
    const pooled = ids.map((row) =>
      [0, 1].map((d) => row.reduce((sum, id) => sum + (table[id]?.[d] ?? Number.NaN), 0) / row.length),
    );
    const expected = matmul(pooled, w).map((row) => row.map((v, j) => v + (b[j] ?? 0)));
    expect(out.logits?.dims).toEqual([2, 3]);
    const got = floats(out.logits);
    expected.flat().forEach((v, k) => {
      expect(got[k]).toBeCloseTo(v, 5);
    });
  });

  describe('HF-export-shaped graphs (input_ids, attention_mask, token_type_ids)', () => {
    const words = [
      [0, 0, 0, 0],
      [1, 0, 0, 1],
      [0, 2, 0, 0],
      [0, 0, 3, -1],
    ];
    const types = [
      [0, 0, 0, 0],
      [0.5, 0.5, 0.5, 0.5],
    ];
    const head = [
      [1, -1],
      [1, 0],
      [0, 1],
      [-1, 1],
    ];

    // Token states = word + type embeddings, zeroed where attention_mask is 0.
    function encoder(output: 'logits' | 'last_hidden_state'): Uint8Array {
      const g = new OnnxGraphBuilder({ name: `hf_${output}`, opset: 17 })
        .input('input_ids', 'int64', ['batch', 'sequence'])
        .input('attention_mask', 'int64', ['batch', 'sequence'])
        .input('token_type_ids', 'int64', ['batch', 'sequence'])
        .initializer('word_embeddings', Float32Array.from(words.flat()), [4, 4])
        .initializer('token_type_embeddings', Float32Array.from(types.flat()), [2, 4])
        .node('Constant', [], ['mask_axes'], { value: attr.tensor(BigInt64Array.from([-1n]), [1]) })
        .node('Gather', ['word_embeddings', 'input_ids'], ['word_states'])
        .node('Gather', ['token_type_embeddings', 'token_type_ids'], ['type_states'])
        .node('Add', ['word_states', 'type_states'], ['states'])
        .node('Cast', ['attention_mask'], ['mask'], { to: attr.int(1) })
        .node('Unsqueeze', ['mask', 'mask_axes'], ['mask3'])
        .node('Mul', ['states', 'mask3'], ['masked']);
      if (output === 'last_hidden_state') {
        return g
          .node('Identity', ['masked'], ['last_hidden_state'])
          .output('last_hidden_state', 'float32', ['batch', 'sequence', 4])
          .toBytes();
      }
      return g
        .initializer('classifier.weight', Float32Array.from(head.flat()), [4, 2])
        .initializer('pool_axes', BigInt64Array.from([1n]), [1])
        .node('ReduceSum', ['masked', 'pool_axes'], ['summed'], { keepdims: attr.int(0) })
        .node('ReduceSum', ['mask3', 'pool_axes'], ['count'], { keepdims: attr.int(0) })
        .node('Div', ['summed', 'count'], ['pooled'])
        .node('MatMul', ['pooled', 'classifier.weight'], ['logits'])
        .output('logits', 'float32', ['batch', 2])
        .toBytes();
    }

    const feeds = {
      input_ids: int64([1, 2, 3, 2, 1, 0], [2, 3]),
      attention_mask: int64([1, 1, 1, 1, 1, 0], [2, 3]),
      token_type_ids: int64([0, 0, 1, 0, 1, 0], [2, 3]),
    };

    function tokenStates(): number[][][] {
      const ids = [
        [1, 2, 3],
        [2, 1, 0],
      ];
      const mask = [
        [1, 1, 1],
        [1, 1, 0],
      ];
      const tt = [
        [0, 0, 1],
        [0, 1, 0],
      ];
      return ids.map((row, i) =>
        row.map((id, t) =>
          [0, 1, 2, 3].map(
            (d) =>
              ((words[id]?.[d] ?? Number.NaN) + (types[tt[i]?.[t] ?? 0]?.[d] ?? Number.NaN)) *
              (mask[i]?.[t] ?? Number.NaN),
          ),
        ),
      );
    }

    it('exposes last_hidden_state [batch, sequence, 4] under the HF names', async () => {
      const session = await load(encoder('last_hidden_state'));
      expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
      expect(session.outputNames).toEqual(['last_hidden_state']);
      const out = await session.run(feeds);
      expect(out.last_hidden_state?.dims).toEqual([2, 3, 4]);
      const got = floats(out.last_hidden_state);
      tokenStates()
        .flat(2)
        .forEach((v, k) => {
          expect(got[k]).toBeCloseTo(v, 6);
        });
    });

    it('exposes logits [batch, 2] from masked mean pooling under the HF names', async () => {
      const session = await load(encoder('logits'));
      expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
      expect(session.outputNames).toEqual(['logits']);
      const out = await session.run(feeds);
      const mask = [3, 2];
      const pooled = tokenStates().map((row, i) =>
        [0, 1, 2, 3].map((d) => row.reduce((sum, v) => sum + (v[d] ?? Number.NaN), 0) / (mask[i] ?? 1)),
      );
      expect(out.logits?.dims).toEqual([2, 2]);
      const got = floats(out.logits);
      matmul(pooled, head)
        .flat()
        .forEach((v, k) => {
          expect(got[k]).toBeCloseTo(v, 5);
        });
    });
  });
});

describe('OnnxGraphBuilder bytes', () => {
  it('decode back with protobufjs to the same ModelProto structure', () => {
    const bytes = new OnnxGraphBuilder({ name: 'tiny', opset: 17, docString: 'test model' })
      .opset('com.microsoft', 1)
      .metadata('labels', '["a","b"]')
      .input('x', 'float32', ['batch', 2])
      .initializer('w', Float32Array.from([1, -2.5]), [2])
      .initializer('ids', BigInt64Array.from([3n, -1n]), [2])
      .node('Mul', ['x', 'w'], ['y'], {
        note: attr.string('hi'),
        alpha: attr.float(0.5),
        sizes: attr.ints([0, 7]),
      })
      .output('y', 'float32', ['batch', 2])
      .toBytes();
    const model = decodeOnnxModel(bytes);
    expect(model).toMatchObject({
      ir_version: IR_VERSION,
      opset_import: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      producer_name: 'semantic-router',
      doc_string: 'test model',
      metadata_props: [{ key: 'labels', value: '["a","b"]' }],
      graph: {
        name: 'tiny',
        input: [
          {
            name: 'x',
            type: {
              tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'batch' }, { dim_value: 2 }] } },
            },
          },
        ],
        output: [{ name: 'y' }],
        initializer: [
          { name: 'w', dims: [2], data_type: 1 },
          { name: 'ids', dims: [2], data_type: 7 },
        ],
        node: [
          {
            op_type: 'Mul',
            name: 'Mul_0',
            input: ['x', 'w'],
            output: ['y'],
            attribute: [
              { name: 'note', type: 'STRING', s: Buffer.from('hi') },
              { name: 'alpha', type: 'FLOAT', f: 0.5 },
              { name: 'sizes', type: 'INTS', ints: [0, 7] },
            ],
          },
        ],
      },
    });
    const raw = (model.graph as { initializer: { raw_data: Uint8Array }[] }).initializer;
    const w = raw[0]?.raw_data ?? new Uint8Array();
    const view = new DataView(w.buffer, w.byteOffset, w.byteLength);
    expect([view.getFloat32(0, true), view.getFloat32(4, true)]).toEqual([1, -2.5]);
    const ids = raw[1]?.raw_data ?? new Uint8Array();
    const idView = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    expect([idView.getBigInt64(0, true), idView.getBigInt64(8, true)]).toEqual([3n, -1n]);
  });

  it('writes int attributes that are zero (proto2 presence), which ONNX Runtime needs for e.g. axis=0', () => {
    const bytes = new OnnxGraphBuilder({ name: 'zero' })
      .input('x', 'float32', [2])
      .node('Softmax', ['x'], ['y'], { axis: attr.int(0) })
      .output('y', 'float32', [2])
      .toBytes();
    expect(decodeOnnxModel(bytes)).toMatchObject({
      opset_import: [{ domain: '', version: 17 }],
      graph: { node: [{ attribute: [{ name: 'axis', type: 'INT', i: 0 }] }] },
    });
  });

  it('rejects graphs that reference unknown values, redefine names or mis-size tensors', () => {
    const base = () => new OnnxGraphBuilder({ name: 'bad' }).input('x', 'float32', [2]);
    expect(() => base().node('Relu', ['nope'], ['y'])).toThrow(OnnxWriterError);
    expect(() => base().node('Relu', ['nope'], ['y'])).toThrow(/unknown input 'nope'/);
    expect(() => base().node('Relu', ['x'], ['x'])).toThrow(/'x' is defined twice/);
    expect(() => base().initializer('w', Float32Array.from([1, 2, 3]), [2, 2])).toThrow(
      /dims \[2, 2\] hold 4 elements, data has 3/,
    );
    expect(() => base().output('y', 'float32', [2]).toBytes()).toThrow(/output 'y' is never produced/);
    expect(() => base().input('z', 'float32', [-1])).toThrow(/invalid dimension -1/);
    expect(() => base().node('Relu', ['x'], ['y'], { k: attr.int(2n ** 60n) })).toThrow(/not a safe integer/);
  });

  it('produces bytes ONNX Runtime rejects only when they are not a model', async () => {
    await expect(ort.InferenceSession.create(Buffer.from([1, 2, 3, 4, 5]))).rejects.toThrow();
  });
});
