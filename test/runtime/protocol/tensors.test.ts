import { expect } from 'chai';
import { InvalidTensorError } from '../../../runtime/src/errors.js';
import {
  bytesTensor,
  decodeRawBytes,
  encodeRawBytes,
  fp32Tensor,
  int64Tensor,
  readTensor,
} from '../../../runtime/src/protocol/tensors.js';

const b = (text: string) => Buffer.from(text, 'utf8');

describe('tensor codec', () => {
  describe('raw BYTES (Triton layout)', () => {
    const cases: [string, Buffer[], string][] = [
      ['no elements', [], ''],
      ['one element', [b('hi')], '020000006869'],
      ['an empty element', [b('')], '00000000'],
      ['two elements, one multi-byte', [b('a'), b('é')], '0100000061' + '02000000c3a9'],
    ];
    for (const [given, elements, hex] of cases) {
      it(`given ${given}, packs to ${hex || '(empty)'} and back`, () => {
        const raw = encodeRawBytes(elements);
        expect(raw.toString('hex')).to.equal(hex);
        expect(decodeRawBytes(raw).map((e) => e.toString('hex'))).to.deep.equal(
          elements.map((e) => e.toString('hex')),
        );
      });
    }

    const broken: [string, string, string][] = [
      ['a cut length prefix', '0100', "raw contents of 't' end inside the length prefix of element 0"],
      [
        'a length past the end',
        '05000000616263',
        "raw contents of 't' are truncated: element 0 declares 5 bytes but 3 remain",
      ],
    ];
    for (const [given, hex, message] of broken) {
      it(`given ${given}, throws "${message}"`, () => {
        expect(() => decodeRawBytes(Buffer.from(hex, 'hex'), 't')).to.throw(InvalidTensorError, message);
      });
    }

    it('reads from an unaligned view of a larger buffer', () => {
      const backing = Buffer.concat([Buffer.from([9]), encodeRawBytes([b('xy')])]);
      expect(decodeRawBytes(backing.subarray(1)).map(String)).to.deep.equal(['xy']);
    });
  });

  describe('readTensor', () => {
    it('given typed BYTES contents, returns the elements', () => {
      const tensor = {
        name: 't',
        datatype: 'BYTES',
        shape: ['2'],
        contents: { bytes_contents: [b('a'), b('b')] },
      };
      const read = readTensor(tensor, undefined);
      expect(read.datatype).to.equal('BYTES');
      expect((read.data as Buffer[]).map(String)).to.deep.equal(['a', 'b']);
    });

    it('given raw FP32 contents at an odd offset, returns the floats', () => {
      const { tensor, raw } = fp32Tensor('f', [1, 3], [0.5, -1, 3.25]);
      const odd = Buffer.concat([Buffer.from([0]), raw]).subarray(1);
      const read = readTensor(tensor, odd);
      expect(read.datatype).to.equal('FP32');
      expect(Array.from(read.data as Float32Array)).to.deep.equal([0.5, -1, 3.25]);
      expect(read.shape).to.deep.equal([1, 3]);
    });

    it('given raw INT64 contents beyond 2^53, keeps them exact', () => {
      const big = 2n ** 60n + 1n;
      const { tensor, raw } = int64Tensor('i', [2], [big, -3n]);
      expect(Array.from(readTensor(tensor, raw).data as BigInt64Array)).to.deep.equal([big, -3n]);
    });

    it('given typed INT64 contents as decimal strings, returns bigints', () => {
      const tensor = {
        name: 'i',
        datatype: 'INT64',
        shape: ['2'],
        contents: { int64_contents: ['7', '-9007199254740993'] },
      };
      expect(Array.from(readTensor(tensor, undefined).data as BigInt64Array)).to.deep.equal([
        7n,
        -9007199254740993n,
      ]);
    });

    const invalid: [string, Parameters<typeof readTensor>, string][] = [
      [
        'an unsupported datatype',
        [{ name: 't', datatype: 'FP16', shape: ['1'] }, undefined],
        "tensor 't' has datatype 'FP16', which is not one of BOOL, INT32, INT64, FP32, FP64, BYTES",
      ],
      [
        'a negative dimension',
        [{ name: 't', datatype: 'BYTES', shape: ['-1'] }, undefined],
        "tensor 't' has an invalid dimension -1",
      ],
      [
        'fewer BYTES elements than the shape',
        [bytesTensor('t', [3], ['a', 'b']).tensor, bytesTensor('t', [3], ['a', 'b']).raw],
        "tensor 't' has shape [3] (3 elements) but its contents hold 2 elements",
      ],
      [
        'raw FP32 bytes that do not fit the shape',
        [{ name: 'f', datatype: 'FP32', shape: ['2'] }, Buffer.alloc(6)],
        "tensor 'f' has shape [2] (2 FP32 elements, 8 bytes) but its raw contents hold 6 bytes",
      ],
    ];
    for (const [given, args, message] of invalid) {
      it(`given ${given}, throws "${message}"`, () => {
        expect(() => readTensor(...args)).to.throw(InvalidTensorError, message);
      });
    }
  });
});
