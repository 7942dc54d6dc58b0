import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { placeRow, readLastLogits, takeRow } from '../../../runtime/src/engine/decoder-tensors.js';
import { halfToFloat } from '../../../runtime/src/engine/float16.js';

describe('decoder tensors', () => {
  const halves: [string, number, number][] = [
    ['one', 0x3c00, 1],
    ['minus two', 0xc000, -2],
    ['the largest half', 0x7bff, 65504],
    ['the smallest subnormal', 0x0001, 2 ** -24],
    ['one third, rounded', 0x3555, 0.333251953125],
    ['infinity', 0x7c00, Number.POSITIVE_INFINITY],
    ['minus infinity', 0xfc00, Number.NEGATIVE_INFINITY],
    ['minus zero', 0x8000, -0],
  ];
  for (const [given, half, value] of halves) {
    it(`halfToFloat: given ${given} (0x${half.toString(16)}), returns ${value}`, () => {
      expect(Object.is(halfToFloat(half), value)).to.equal(true);
    });
  }
  it('halfToFloat: given a NaN half, returns NaN', () => {
    expect(halfToFloat(0x7e00)).to.be.NaN;
  });

  const shape = { kvHeads: 2, headDim: 2 };
  it('placeRow right-aligns a row cache [heads, length, dim] in [batch, heads, past, dim]; takeRow reads it back', () => {
    // A row of length 1: head 0 holds [1, 2], head 1 holds [3, 4]; batch row 1 of 2, past 3.
    const row = Uint16Array.of(1, 2, 3, 4);
    const batch = new Uint16Array(2 * 2 * 3 * 2);
    placeRow(batch, row, { row: 1, past: 3, length: 1 }, shape);
    expect([...batch.subarray(12)]).to.deep.equal([0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 4]);
    expect([...batch.subarray(0, 12)].every((v) => v === 0)).to.equal(true);
    const back = takeRow(batch, { row: 1, total: 3, length: 1 }, shape);
    expect(back).to.be.instanceOf(Uint16Array);
    expect([...back]).to.deep.equal([1, 2, 3, 4]);
  });

  it('readLastLogits reads each row at its last position, whether the graph kept all positions or one', () => {
    const all = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [2, 2, 2]);
    expect(readLastLogits(all, 2).map((r) => [...r])).to.deep.equal([
      [3, 4],
      [7, 8],
    ]);
    const kept = new ort.Tensor('float16', Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x0000), [2, 1, 2]);
    expect(readLastLogits(kept, 2).map((r) => [...r])).to.deep.equal([
      [1, -2],
      [0.5, 0],
    ]);
  });
});
