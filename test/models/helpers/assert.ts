/** Small assertions shared by the model tests. */
import { expect } from 'chai';
import type { InferenceSession } from 'onnxruntime-node';

/** Same length, and every entry within `tol` (absolute) of the expected one; names the first miss. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = 'values',
): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      expect.fail(`${what}[${i}] = ${actual[i]}, expected ${expected[i]} ± ${tol}`);
    }
  }
}

/** The declared shape of a named tensor input or output. */
export function shapeOf(
  list: readonly InferenceSession.ValueMetadata[],
  name: string,
): readonly (number | string)[] {
  const m = list.find((x) => x.name === name);
  if (!m?.isTensor) throw new Error(`no tensor named ${name}`);
  return m.shape;
}
