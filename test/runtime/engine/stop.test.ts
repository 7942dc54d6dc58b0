import { expect } from 'chai';
import { findStop } from '../../../runtime/src/engine/stop.js';

describe('stop sequences', () => {
  const cases: [string, string, string[], ReturnType<typeof findStop>][] = [
    ['no stops', 'hello world', [], undefined],
    ['a stop that does not occur', 'hello world', ['xyz'], undefined],
    ['one stop', 'hello. world', ['.'], { index: 5, stop: '.' }],
    ['two stops, the later listed occurring first', 'a\nb.c', ['.', '\n'], { index: 1, stop: '\n' }],
    ['a multi-character stop', 'The end. THE END', ['THE END'], { index: 9, stop: 'THE END' }],
    ['an empty stop string (ignored)', 'abc', [''], undefined],
  ];
  for (const [given, text, stops, expected] of cases) {
    it(`given ${given}, returns ${JSON.stringify(expected)}`, () => {
      expect(findStop(text, stops)).to.deep.equal(expected);
    });
  }
});
