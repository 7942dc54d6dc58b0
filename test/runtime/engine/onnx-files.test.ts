import { expect } from 'chai';
import { GraphBuilder, withExternalData } from '../../../models/src/onnx/graph.js';
import { DataType } from '../../../models/src/onnx/schema.js';
import {
  candidateGraphs,
  checkExternalData,
  chooseOnnxFile,
  DTYPE_SUFFIXES,
  externalDataLocations,
  graphFileName,
  isOnnxFileProblem,
  type OnnxDtype,
} from '../../../runtime/src/engine/onnx-files.js';

const JSON_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

describe('ONNX file choice', () => {
  it("names files as transformers.js's DEFAULT_DTYPE_SUFFIX_MAPPING does", () => {
    const names = Object.fromEntries(
      (Object.keys(DTYPE_SUFFIXES) as OnnxDtype[]).map((d) => [d, graphFileName('model', d)]),
    );
    expect(names).to.deep.equal({
      fp32: 'model.onnx',
      fp16: 'model_fp16.onnx',
      q8: 'model_quantized.onnx',
      int8: 'model_int8.onnx',
      uint8: 'model_uint8.onnx',
      q4: 'model_q4.onnx',
      q4f16: 'model_q4f16.onnx',
      bnb4: 'model_bnb4.onnx',
      q2: 'model_q2.onnx',
      q2f16: 'model_q2f16.onnx',
      q1: 'model_q1.onnx',
      q1f16: 'model_q1f16.onnx',
    });
    expect(graphFileName('decoder_model_merged', 'q4f16')).to.equal('decoder_model_merged_q4f16.onnx');
  });

  const chosen: [string, string[], OnnxDtype | undefined, string, OnnxDtype, string[]][] = [
    ['fp32 by default', ['onnx/model.onnx'], undefined, 'onnx/model.onnx', 'fp32', []],
    [
      'only the quantized file',
      ['onnx/model_quantized.onnx'],
      undefined,
      'onnx/model_quantized.onnx',
      'q8',
      [],
    ],
    [
      'default order: fp32 before fp16 before q8',
      ['onnx/model_quantized.onnx', 'onnx/model_fp16.onnx', 'onnx/model.onnx'],
      undefined,
      'onnx/model.onnx',
      'fp32',
      [],
    ],
    [
      'default order: fp16 before the quantisations',
      ['onnx/model_q4f16.onnx', 'onnx/model_fp16.onnx', 'onnx/model_int8.onnx'],
      undefined,
      'onnx/model_fp16.onnx',
      'fp16',
      [],
    ],
    [
      'dtype q4f16 among many (onnx-community layout)',
      ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_q4.onnx', 'onnx/model_q4f16.onnx'],
      'q4f16',
      'onnx/model_q4f16.onnx',
      'q4f16',
      [],
    ],
    [
      'dtype uint8',
      ['onnx/model.onnx', 'onnx/model_uint8.onnx'],
      'uint8',
      'onnx/model_uint8.onnx',
      'uint8',
      [],
    ],
    [
      'older Xenova decoder: merged preferred over the cacheless one',
      ['onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx', 'onnx/decoder_model_merged.onnx'],
      undefined,
      'onnx/decoder_model_merged.onnx',
      'fp32',
      [],
    ],
    [
      'older Xenova decoder with dtype q8',
      [
        'onnx/decoder_model_merged.onnx',
        'onnx/decoder_model_merged_quantized.onnx',
        'onnx/decoder_model_quantized.onnx',
      ],
      'q8',
      'onnx/decoder_model_merged_quantized.onnx',
      'q8',
      [],
    ],
    [
      'a decoder exported without a cache',
      ['onnx/decoder_model.onnx'],
      undefined,
      'onnx/decoder_model.onnx',
      'fp32',
      [],
    ],
    [
      'Optimum CLI layout: graph at the top',
      ['model.onnx', ...JSON_FILES],
      undefined,
      'model.onnx',
      'fp32',
      [],
    ],
    [
      'onnx/ preferred over the top',
      ['model.onnx', 'onnx/model_quantized.onnx'],
      undefined,
      'onnx/model_quantized.onnx',
      'q8',
      [],
    ],
    [
      'one external data file',
      ['onnx/model.onnx', 'onnx/model.onnx_data'],
      undefined,
      'onnx/model.onnx',
      'fp32',
      ['onnx/model.onnx_data'],
    ],
    [
      'chunked external data, in chunk order (not string order)',
      [
        'onnx/model_fp16.onnx',
        'onnx/model_fp16.onnx_data_10',
        'onnx/model_fp16.onnx_data_2',
        'onnx/model_fp16.onnx_data',
        ...Array.from({ length: 9 }, (_, i) => `onnx/model_fp16.onnx_data_${i + 1}`),
        'onnx/model.onnx_data',
      ],
      'fp16',
      'onnx/model_fp16.onnx',
      'fp16',
      [
        'onnx/model_fp16.onnx_data',
        ...Array.from({ length: 10 }, (_, i) => `onnx/model_fp16.onnx_data_${i + 1}`),
      ],
    ],
  ];
  for (const [what, files, dtype, graph, actual, externalData] of chosen) {
    it(`chooses: ${what}`, () => {
      expect(chooseOnnxFile([...JSON_FILES, ...files], dtype)).to.deep.equal({
        graph,
        dtype: actual,
        externalData,
      });
    });
  }

  const refused: [string, string[], OnnxDtype | undefined, RegExp, string[], string[]][] = [
    [
      'a dtype the directory lacks',
      ['onnx/model.onnx', 'onnx/model_quantized.onnx'],
      'q4',
      /^dtype q4 needs onnx\/model_q4\.onnx or .*; the ONNX files present are onnx\/model\.onnx, onnx\/model_quantized\.onnx$/,
      candidateGraphs('q4'),
      ['onnx/model.onnx', 'onnx/model_quantized.onnx'],
    ],
    [
      'no graph at all',
      ['README.md'],
      undefined,
      /^no ONNX graph: expected onnx\/model\.onnx .*; no \.onnx file is present \(the directory holds README\.md, config\.json, tokenizer\.json, tokenizer_config\.json\)$/,
      candidateGraphs(),
      [],
    ],
    [
      'graphs of another kind only (a seq2seq export)',
      ['onnx/encoder_model.onnx', 'onnx/decoder_with_past_model.onnx'],
      undefined,
      /the ONNX files present are onnx\/decoder_with_past_model\.onnx, onnx\/encoder_model\.onnx$/,
      candidateGraphs(),
      ['onnx/decoder_with_past_model.onnx', 'onnx/encoder_model.onnx'],
    ],
    [
      'a gap in the external data chunks',
      ['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model.onnx_data_2'],
      undefined,
      /^the external data of onnx\/model\.onnx lacks onnx\/model\.onnx_data_1 \(present: onnx\/model\.onnx_data, onnx\/model\.onnx_data_2\)/,
      ['onnx/model.onnx_data_1'],
      ['onnx/model.onnx_data', 'onnx/model.onnx_data_2'],
    ],
    [
      'chunks without the first one',
      ['onnx/model.onnx', 'onnx/model.onnx_data_1'],
      undefined,
      /lacks onnx\/model\.onnx_data \(present: onnx\/model\.onnx_data_1\)/,
      ['onnx/model.onnx_data'],
      ['onnx/model.onnx_data_1'],
    ],
  ];
  for (const [what, files, dtype, message, expected, present] of refused) {
    it(`refuses: ${what}`, () => {
      const result = chooseOnnxFile([...JSON_FILES, ...files], dtype);
      expect(isOnnxFileProblem(result)).to.equal(true);
      if (!isOnnxFileProblem(result)) return;
      expect(result.message).to.match(message);
      expect(result.expected).to.deep.equal(expected);
      expect(result.present).to.deep.equal(present);
    });
  }

  it('looks in onnx/ then at the top, model then decoder_model_merged then decoder_model', () => {
    expect(candidateGraphs('fp16')).to.deep.equal([
      'onnx/model_fp16.onnx',
      'onnx/decoder_model_merged_fp16.onnx',
      'onnx/decoder_model_fp16.onnx',
      'model_fp16.onnx',
      'decoder_model_merged_fp16.onnx',
      'decoder_model_fp16.onnx',
    ]);
  });

  describe('external data a graph names', () => {
    const graph = () => {
      const g = new GraphBuilder('two-weights');
      const x = g.input('x', DataType.FLOAT, ['batch_size', 4]);
      const h = g.op('MatMul', [x, g.weight('w1', new Float32Array(16).fill(1), [4, 4])]);
      g.op('MatMul', [h, g.weight('w2', new Float32Array(8).fill(2), [4, 2])], {}, 'y');
      g.output('y', DataType.FLOAT, ['batch_size', 2]);
      return g.toBytes('two weights');
    };

    it('reads the locations of a graph with inline weights (none), one data file and chunks', () => {
      expect(externalDataLocations(graph())).to.deep.equal([]);
      expect(
        externalDataLocations(withExternalData(graph(), { file: 'model.onnx_data', minBytes: 0 }).graph),
      ).to.deep.equal(['model.onnx_data']);
      expect(
        externalDataLocations(
          withExternalData(graph(), { file: 'model_fp16.onnx_data', chunks: 2, minBytes: 0 }).graph,
        ),
      ).to.deep.equal(['model_fp16.onnx_data', 'model_fp16.onnx_data_1']);
    });

    it('refuses bytes that are not a protobuf message', () => {
      expect(() => externalDataLocations(new TextEncoder().encode('contents of onnx/model.onnx'))).to.throw(
        /wire type|truncated/,
      );
    });

    const checks: [string, string, string[], string[], RegExp | undefined][] = [
      [
        'all present',
        'onnx/model.onnx',
        ['model.onnx_data'],
        ['onnx/model.onnx', 'onnx/model.onnx_data'],
        undefined,
      ],
      ['inline weights', 'onnx/model.onnx', [], ['onnx/model.onnx'], undefined],
      ['at the top', 'model.onnx', ['model.onnx_data'], ['model.onnx', 'model.onnx_data'], undefined],
      [
        'a chunk missing',
        'onnx/model_q4f16.onnx',
        ['model_q4f16.onnx_data', 'model_q4f16.onnx_data_1'],
        ['onnx/model_q4f16.onnx', 'onnx/model_q4f16.onnx_data'],
        /^onnx\/model_q4f16\.onnx keeps weights in onnx\/model_q4f16\.onnx_data_1, which the artifact lacks \(data files present: onnx\/model_q4f16\.onnx_data\)/,
      ],
      [
        'a data file named otherwise by the exporter',
        'onnx/model.onnx',
        ['weights.bin'],
        ['onnx/model.onnx'],
        /keeps weights in onnx\/weights\.bin, which the artifact lacks \(no data file is present\)/,
      ],
      [
        'a location outside the directory',
        'onnx/model.onnx',
        ['../model.onnx_data'],
        ['onnx/model.onnx'],
        /outside the artifact directory: \.\.\/model\.onnx_data/,
      ],
    ];
    for (const [what, graphPath, locations, files, problem] of checks) {
      it(`checks: ${what}`, () => {
        const result = checkExternalData(graphPath, locations, files);
        if (problem === undefined) expect(result).to.equal(undefined);
        else expect(result?.message).to.match(problem);
      });
    }
  });
});
