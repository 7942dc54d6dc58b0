import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { gelu, layerNorm, linear } from '../../../models/src/autograd/ops.js';
import { param, Tape } from '../../../models/src/autograd/tensor.js';
import { GraphBuilder, IR_VERSION, OPSET } from '../../../models/src/onnx/graph.js';
import {
  geluTanh,
  layerNorm as layerNormGraph,
  linear as linearGraph,
} from '../../../models/src/onnx/layers.js';
import { DataType, decodeModel } from '../../../models/src/onnx/schema.js';
import { Rng } from '../../../models/src/util/rng.js';
import { expectAllClose } from '../helpers/assert.js';
import { leaf } from '../helpers/gradcheck.js';

function tinyGraph(): GraphBuilder {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', DataType.FLOAT, ['batch_size', 3]);
  const w = g.weight('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
  const y = g.op('MatMul', [x, w]);
  g.op('Softmax', [g.op('Mul', [y, g.constFloat(0.5)])], { axis: -1 }, 'probs');
  g.output('probs', DataType.FLOAT, ['batch_size', 2]);
  return g;
}

describe('ONNX writer', () => {
  it('writes a ModelProto that decodes back to the graph it was given', () => {
    const model = decodeModel(tinyGraph().toBytes('doc')) as {
      ir_version: number;
      opset_import: { version: number }[];
      graph: {
        node: { op_type: string; attribute?: { name: string; i?: number }[] }[];
        initializer: { name: string; dims: number[]; raw_data: Uint8Array }[];
        input: { name: string; type: { tensor_type: { shape: { dim: object[] } } } }[];
      };
    };
    expect(model.ir_version).to.equal(IR_VERSION);
    expect(model.opset_import[0]!.version).to.equal(OPSET);
    expect(model.graph.node.map((n) => n.op_type)).to.deep.equal(['MatMul', 'Mul', 'Softmax']);
    expect(model.graph.node[2]!.attribute).to.deep.include({ name: 'axis', i: -1, type: 2 });
    const w = model.graph.initializer.find((t) => t.name === 'w')!;
    expect(w.dims).to.deep.equal([3, 2]);
    expect(w.raw_data.length).to.equal(24);
    expect(model.graph.input[0]!.type.tensor_type.shape.dim).to.deep.equal([
      { dim_param: 'batch_size' },
      { dim_value: 3 },
    ]);
  });

  it('is deterministic: the same calls give the same bytes', () => {
    expect(Buffer.from(tinyGraph().toBytes('doc')).equals(Buffer.from(tinyGraph().toBytes('doc')))).to.equal(
      true,
    );
  });

  it('counts trained weights but not constants, and refuses duplicate names', () => {
    const g = tinyGraph();
    expect(g.paramCount).to.equal(6);
    expect(() => g.weight('w', new Float32Array(1), [1])).to.throw(/duplicate/);
  });

  it('runs in onnxruntime-node with the results of the same arithmetic', async () => {
    const session = await ort.InferenceSession.create(tinyGraph().toBytes('doc'));
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 0, 1]), [2, 3]),
    });
    const probs = out.probs!.data as Float32Array;
    // rows: softmax([0.5, 1]) and softmax([2.5, 3])
    const p = 1 / (1 + Math.exp(0.5));
    expectAllClose(probs, [p, 1 - p, p, 1 - p], 1e-6);
  });

  it('exports linear, LayerNorm and tanh-GELU that compute what the autograd ops compute', async () => {
    const rng = new Rng(5);
    const x = leaf(rng, [4, 6]);
    const [w, b] = [param('w', [6, 5], leaf(rng, [6, 5]).data), param('b', [5], leaf(rng, [5]).data)];
    const [gamma, beta] = [param('g', [5], leaf(rng, [5]).data), param('beta', [5], leaf(rng, [5]).data)];
    const t = new Tape();
    const expected = gelu(t, layerNorm(t, linear(t, x, w.t, b.t), gamma.t, beta.t));
    const g = new GraphBuilder('layers');
    const input = g.input('x', DataType.FLOAT, [4, 6]);
    g.op('Identity', [geluTanh(g, layerNormGraph(g, linearGraph(g, input, w, b), gamma, beta))], {}, 'y');
    g.output('y', DataType.FLOAT, [4, 5]);
    const session = await ort.InferenceSession.create(g.toBytes(''));
    const y = (await session.run({ x: new ort.Tensor('float32', x.data, [4, 6]) })).y!.data as Float32Array;
    expectAllClose(y, expected.data, 1e-5);
  });
});
