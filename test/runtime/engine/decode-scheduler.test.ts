import { expect } from 'chai';
import { heldBack } from '../../../runtime/src/engine/decode-scheduler.js';

describe('streaming hold-back (heldBack)', () => {
  const table: [string, string[], number][] = [
    ['no stop strings: nothing held', ['Once upon'], 0],
    ['an end that starts no stop string', ['Once upon a', ' time', 'The'], 0],
    ['held: " ti" could become " time"', [' ti', ' time'], 3],
    ['held: a trailing half character', ['caf\uFFFD', 'é!'], 1],
    ['held: the longest end that starts any stop', ['so THE E', 'THE END', 'E'], 5],
  ];
  for (const [given, [text, ...stops], expected] of table) {
    it(`given ${given}, holds back ${expected}`, () => {
      expect(heldBack(text as string, stops)).to.equal(expected);
    });
  }
});
