import { expect } from 'chai';
import { InvalidParameterError } from '../../../runtime/src/errors.js';
import {
  param,
  readBoolParameter,
  readIntParameter,
  readNumberParameter,
  readParameter,
  readStringParameter,
} from '../../../runtime/src/protocol/parameters.js';

describe('InferParameter codec', () => {
  const decoded: [string, Parameters<typeof readParameter>[0], ReturnType<typeof readParameter>][] = [
    ['bool_param', { bool_param: true, parameter_choice: 'bool_param' }, { kind: 'bool', value: true }],
    [
      'int64_param as a decimal string',
      { int64_param: '-9007199254740993', parameter_choice: 'int64_param' },
      { kind: 'int64', value: -9007199254740993n },
    ],
    [
      'uint64_param',
      { uint64_param: '18446744073709551615', parameter_choice: 'uint64_param' },
      { kind: 'uint64', value: 2n ** 64n - 1n },
    ],
    ['double_param', { double_param: 0.7, parameter_choice: 'double_param' }, { kind: 'double', value: 0.7 }],
    ['string_param without parameter_choice', { string_param: 'x' }, { kind: 'string', value: 'x' }],
    ['an empty oneof', {}, undefined],
  ];
  for (const [given, parameter, expected] of decoded) {
    it(`given ${given}, reads ${JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      expect(readParameter(parameter)).to.deep.equal(expected);
    });
  }

  it('builds each oneof member', () => {
    expect(param.int64(2n ** 63n - 1n)).to.deep.equal({ int64_param: '9223372036854775807' });
    expect(param.double(1)).to.deep.equal({ double_param: 1 });
    expect(param.bool(false)).to.deep.equal({ bool_param: false });
    expect(param.string('s')).to.deep.equal({ string_param: 's' });
  });

  const params = {
    n: { int64_param: '5', parameter_choice: 'int64_param' as const },
    d: { double_param: 0.5, parameter_choice: 'double_param' as const },
    b: { bool_param: false, parameter_choice: 'bool_param' as const },
    s: { string_param: 'x', parameter_choice: 'string_param' as const },
  };
  const reads: [string, () => unknown, unknown][] = [
    ['an int read as int', () => readIntParameter(params, 'n'), 5n],
    ['an int read as number (widened)', () => readNumberParameter(params, 'n'), 5],
    ['a double read as number', () => readNumberParameter(params, 'd'), 0.5],
    ['a bool read as bool', () => readBoolParameter(params, 'b'), false],
    ['a string read as string', () => readStringParameter(params, 's'), 'x'],
    ['an absent parameter', () => readIntParameter(params, 'missing'), undefined],
    ['no parameters at all', () => readNumberParameter(undefined, 'd'), undefined],
  ];
  for (const [given, read, expected] of reads) {
    it(`given ${given}, returns ${String(expected)}`, () => {
      expect(read()).to.equal(expected);
    });
  }

  const mismatches: [string, () => unknown, string][] = [
    [
      'a double read as int',
      () => readIntParameter(params, 'd'),
      "parameter 'd' must be an integer (int64_param), got double_param 0.5",
    ],
    [
      'a string read as number',
      () => readNumberParameter(params, 's'),
      `parameter 's' must be a number (double_param), got string_param "x"`,
    ],
    [
      'an int read as bool',
      () => readBoolParameter(params, 'n'),
      "parameter 'n' must be a boolean (bool_param), got int64_param 5",
    ],
    [
      'a bool read as string',
      () => readStringParameter(params, 'b'),
      "parameter 'b' must be a string (string_param), got bool_param false",
    ],
    [
      'a NaN double',
      () => readNumberParameter({ t: { double_param: Number.NaN, parameter_choice: 'double_param' } }, 't'),
      "parameter 't' must be a finite number, got NaN",
    ],
  ];
  for (const [given, read, message] of mismatches) {
    it(`given ${given}, throws "${message}"`, () => {
      expect(read).to.throw(InvalidParameterError, message);
    });
  }
});
