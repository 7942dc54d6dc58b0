import { expect } from 'chai';
import { modelVersionSpec } from '../../crds/src/modelversion.js';
import { quantity, quantityString } from '../../crds/src/quantity.js';
import { toStructural } from '../../crds/src/structural.js';

describe('crds: quantities', () => {
  const cpu = quantity('resources.cpu');
  const valid: [unknown, string][] = [
    [2, '2'],
    [0, '0'],
    ['500m', '500m'],
    ['1.5', '1.5'],
    ['4Gi', '4Gi'],
    ['20G', '20G'],
  ];
  for (const [value, text] of valid) {
    it(`given ${JSON.stringify(value)}, accepts it; its string form is ${text}`, () => {
      expect(cpu.parse(value)).to.equal(value);
      expect(quantityString(cpu.parse(value))).to.equal(text);
    });
  }

  const invalid: unknown[] = ['abc', '4GB', '-1', 1.5, -2, '', true];
  for (const value of invalid) {
    it(`given ${JSON.stringify(value)}, refuses it naming the field`, () => {
      const result = cpu.safeParse(value);
      expect(result.success).to.equal(false);
      expect(JSON.stringify(result.error?.issues)).to.include('resources.cpu');
    });
  }

  it('a ModelVersion spec with a bad memory is refused at spec.resources.memory', () => {
    const result = modelVersionSpec.safeParse({ model: 'm', version: 'v1', resources: { memory: 'lots' } });
    expect(result.success).to.equal(false);
    expect(result.error?.issues[0]?.path).to.deep.equal(['resources', 'memory']);
  });

  it('the structural schema keeps the string pattern and drops the union', () => {
    const node = {
      anyOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: '^[0-9]+m?$' },
      ],
      'x-kubernetes-int-or-string': true,
      description: 'cpu',
    };
    expect(toStructural(node)).to.deep.equal({
      'x-kubernetes-int-or-string': true,
      description: 'cpu',
      pattern: '^[0-9]+m?$',
    });
  });

  it('an int-or-string mark on anything but an integer|string union is an error naming the path', () => {
    const node = { anyOf: [{ type: 'number' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
    expect(() => toStructural(node, '$.spec.x')).to.throw('$.spec.x: x-kubernetes-int-or-string');
  });
});
