import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, withExternalData } from '../../../models/src/onnx/graph.js';
import { DataLocation, DataType, decodeModel } from '../../../models/src/onnx/schema.js';
import { Rng } from '../../../models/src/util/rng.js';

/** x [batch_size,16] -> x·w1 (16x32) -> Relu -> ·w2 (32x4) + b (4): three weights of 2048, 512 and 16 bytes. */
function mlp(): Uint8Array {
  const rng = new Rng(7);
  const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const g = new GraphBuilder('mlp');
  const x = g.input('x', DataType.FLOAT, ['batch_size', 16]);
  const h = g.op('Relu', [g.op('MatMul', [x, g.weight('w1', random(16 * 32), [16, 32])])]);
  g.op(
    'Add',
    [g.op('MatMul', [h, g.weight('w2', random(32 * 4), [32, 4])]), g.weight('b', random(4), [4])],
    {},
    'y',
  );
  g.output('y', DataType.FLOAT, ['batch_size', 4]);
  return g.toBytes('external data test');
}

type Tensor = {
  name: string;
  raw_data?: Uint8Array;
  data_location?: number;
  external_data?: { key: string; value: string }[];
};
const initializers = (bytes: Uint8Array) =>
  (decodeModel(bytes) as { graph: { initializer: Tensor[] } }).graph.initializer;

describe('ONNX external data', () => {
  let dir: string;
  const input = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)),
    [2, 16],
  );
  const run = async (path: string) => {
    const session = await ort.InferenceSession.create(path);
    try {
      return Array.from((await session.run({ x: input })).y!.data as Float32Array);
    } finally {
      await session.release();
    }
  };
  let inline: number[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'external-data-'));
    await writeFile(join(dir, 'inline.onnx'), mlp());
    inline = await run(join(dir, 'inline.onnx'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('moves initializers of minBytes or more into the data file, as onnx writes them (location, offset, length, EXTERNAL)', () => {
    const { graph, data } = withExternalData(mlp(), { file: 'model.onnx_data', minBytes: 100 });
    const tensors = initializers(graph);
    expect(tensors.find((t) => t.name === 'w1')).to.deep.include({
      data_location: DataLocation.EXTERNAL,
      external_data: [
        { key: 'location', value: 'model.onnx_data' },
        { key: 'offset', value: '0' },
        { key: 'length', value: '2048' },
      ],
    });
    expect(tensors.find((t) => t.name === 'w2')?.external_data?.[1]).to.deep.equal({
      key: 'offset',
      value: '2048',
    });
    expect(tensors.find((t) => t.name === 'w1')?.raw_data).to.equal(undefined);
    // The 16-byte bias stays inside the graph.
    expect(tensors.find((t) => t.name === 'b'))
      .to.include({ name: 'b' })
      .and.not.have.property('data_location');
    expect(data.map((d) => [d.file, d.bytes.length])).to.deep.equal([['model.onnx_data', 2048 + 512]]);
  });

  it('splits the tensors over numbered chunks named like transformers.js (model.onnx_data, model.onnx_data_1, ...)', () => {
    const { graph, data } = withExternalData(mlp(), { file: 'model.onnx_data', chunks: 3, minBytes: 0 });
    expect(data.map((d) => [d.file, d.bytes.length])).to.deep.equal([
      ['model.onnx_data', 2048],
      ['model.onnx_data_1', 512],
      ['model.onnx_data_2', 16],
    ]);
    expect(initializers(graph).map((t) => t.external_data?.[0]?.value)).to.deep.equal([
      'model.onnx_data',
      'model.onnx_data_1',
      'model.onnx_data_2',
    ]);
    expect(() => withExternalData(mlp(), { file: 'model.onnx_data', chunks: 4, minBytes: 0 })).to.throw(
      /only 3 initializers .* too few for 4 chunks/,
    );
  });

  for (const chunks of [1, 2]) {
    it(`loads in onnxruntime-node by path, resolving ${chunks} data file(s) beside the graph, with the inline graph's outputs`, async () => {
      const sub = await mkdtemp(join(dir, 'model-'));
      const { graph, data } = withExternalData(mlp(), { file: 'model.onnx_data', chunks, minBytes: 0 });
      await writeFile(join(sub, 'model.onnx'), graph);
      for (const d of data) await writeFile(join(sub, d.file), d.bytes);
      expect(graph.length).to.be.lessThan(mlp().length - 2000);
      expect(await run(join(sub, 'model.onnx'))).to.deep.equal(inline);
    });
  }

  it('fails to load when a data file is missing (so the runtime must ship every chunk)', async () => {
    const sub = await mkdtemp(join(dir, 'model-'));
    const { graph, data } = withExternalData(mlp(), { file: 'model.onnx_data', chunks: 2, minBytes: 0 });
    await writeFile(join(sub, 'model.onnx'), graph);
    await writeFile(join(sub, data[0]!.file), data[0]!.bytes);
    let error: Error | undefined;
    await ort.InferenceSession.create(join(sub, 'model.onnx')).catch((e: Error) => {
      error = e;
    });
    expect(error?.message).to.match(/model\.onnx_data_1/);
  });

  it('GraphBuilder#toFiles writes the same files', () => {
    const g = new GraphBuilder('one');
    g.op('Identity', [g.weight('w', new Float32Array(300), [300])], {}, 'y');
    g.output('y', DataType.FLOAT, [300]);
    const files = g.toFiles('doc', { file: 'model.onnx_data' });
    expect(files.data.map((d) => [d.file, d.bytes.length])).to.deep.equal([['model.onnx_data', 1200]]);
    expect(initializers(files.graph)[0]?.data_location).to.equal(DataLocation.EXTERNAL);
  });

  it('is deterministic', () => {
    const a = withExternalData(mlp(), { file: 'm.onnx_data', chunks: 2, minBytes: 0 });
    const b = withExternalData(mlp(), { file: 'm.onnx_data', chunks: 2, minBytes: 0 });
    expect(Buffer.from(a.graph).equals(Buffer.from(b.graph))).to.equal(true);
    expect(Buffer.from(a.data[1]!.bytes).equals(Buffer.from(b.data[1]!.bytes))).to.equal(true);
  });
});
