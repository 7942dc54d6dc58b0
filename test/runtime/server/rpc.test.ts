import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { RuntimeClient } from '../../../runtime/src/client/index.js';
import { loadConfig } from '../../../runtime/src/config.js';
import { createLogger } from '../../../runtime/src/logger.js';
import { param } from '../../../runtime/src/protocol/parameters.js';
import { bytesTensor, fp32Tensor } from '../../../runtime/src/protocol/tensors.js';
import type { InferParameters, ModelInferRequest } from '../../../runtime/src/protocol/types.js';
import { RuntimeServer } from '../../../runtime/src/server/server.js';
import { expectCallError, startRuntime, type TestRuntime } from '../helpers/runtime.js';

const texts = (
  values: string[],
  parameters: InferParameters = {},
  name = 'story-writer',
): ModelInferRequest => {
  const input = bytesTensor('text_input', [values.length], values);
  return { model_name: name, inputs: [input.tensor], raw_input_contents: [input.raw], parameters };
};

describe('runtime RPCs over gRPC (story-writer-v1)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startRuntime('story-writer-v1');
  });
  after(() => rt?.stop());

  it('answers liveness, readiness and model readiness', async () => {
    expect(await rt.client.serverLive()).to.equal(true);
    expect(await rt.client.serverReady()).to.equal(true);
    expect(await rt.client.modelReady('story-writer', 'v1')).to.equal(true);
    expect(await rt.client.modelReady('story-writer')).to.equal(true);
  });

  it('describes the server and the model', async () => {
    expect(await rt.client.serverMetadata()).to.deep.equal({
      name: 'paissive-runtime',
      version: '0.1.0',
      extensions: ['model_repository', 'parameters'],
    });
    expect(await rt.client.modelMetadata('story-writer', 'v1')).to.deep.equal({
      name: 'story-writer',
      versions: ['v1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'text_input', datatype: 'BYTES', shape: [-1] },
        { name: 'messages', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'text_output', datatype: 'BYTES', shape: [-1] },
        { name: 'finish_reason', datatype: 'BYTES', shape: [-1] },
        { name: 'logprobs', datatype: 'BYTES', shape: [-1] },
      ],
      download: { state: 'local', bytesDownloaded: 0, bytesTotal: 0 },
    });
  });

  it('answers health checks for the server, the model and the service, and NOT_FOUND for others', async () => {
    for (const service of ['', 'story-writer', 'inference.GRPCInferenceService']) {
      expect(await rt.client.health(service), service).to.equal('SERVING');
    }
    await expectCallError(rt.client.health('other'), 'NOT_FOUND', "unknown service 'other'");
  });

  it('accepts typed bytes_contents as well as raw contents, and echoes the request id', async () => {
    const response = await rt.client.infer({
      model_name: 'story-writer',
      id: 'req-7',
      inputs: [
        {
          name: 'text_input',
          datatype: 'BYTES',
          shape: [1],
          contents: { bytes_contents: [Buffer.from('Hello')] },
        },
      ],
      parameters: { task: param.string('tokenize') },
    });
    expect(response.id).to.equal('req-7');
    expect(response.outputs.map((o) => o.name)).to.deep.equal(['token_ids', 'tokens']);
  });

  const notFound: [string, (rt: TestRuntime) => Promise<unknown>, string][] = [
    [
      'ModelInfer for another model',
      (r) => r.client.generate({ model: 'other', prompt: 'x' }),
      "model 'other' is not served here",
    ],
    [
      'ModelInfer for another version',
      (r) => r.client.generate({ model: 'story-writer', version: 'v2', prompt: 'x' }),
      "model 'story-writer' version 'v2'",
    ],
    ['ModelReady for another model', (r) => r.client.modelReady('other'), "model 'other'"],
    [
      'ModelMetadata for another version',
      (r) => r.client.modelMetadata('story-writer', 'v9'),
      "version 'v9'",
    ],
    ['RepositoryModelLoad for another model', (r) => r.client.loadModel('other'), "model 'other'"],
    ['RepositoryModelUnload for another model', (r) => r.client.unloadModel('other'), "model 'other'"],
  ];
  for (const [given, call, message] of notFound) {
    it(`given ${given}, answers NOT_FOUND`, async () => {
      const error = await expectCallError(call(rt), 'NOT_FOUND', message);
      expect(error.retryable).to.equal(false);
    });
  }

  const fp32 = fp32Tensor('text_input', [1], [1]);
  const both = texts(['a']);
  both.inputs[0]!.contents = { bytes_contents: [Buffer.from('a')] };
  const invalid: [string, ModelInferRequest, string][] = [
    [
      'a wrong datatype',
      { model_name: 'story-writer', inputs: [fp32.tensor], raw_input_contents: [fp32.raw] },
      "input 'text_input' must have datatype BYTES, got 'FP32'",
    ],
    [
      'a shape that does not match the contents',
      { ...texts(['a', 'b']), inputs: [{ ...texts(['a', 'b']).inputs[0]!, shape: [3] }] },
      "tensor 'text_input' has shape [3] (3 elements) but its contents hold 2 elements",
    ],
    [
      'a 2-D shape',
      { ...texts(['a', 'b']), inputs: [{ ...texts(['a', 'b']).inputs[0]!, shape: [1, 2] }] },
      'must have shape [B] (one dimension), got [1,2]',
    ],
    ['an empty text', texts(['Once', '']), "element 1 of 'text_input' is empty"],
    [
      'another input name',
      { ...texts(['a']), inputs: [{ ...texts(['a']).inputs[0]!, name: 'prompt' }] },
      "unexpected input 'prompt'",
    ],
    ['contents and raw contents together', both, 'has both contents and raw_input_contents'],
    ['an unknown task', texts(['a'], { task: param.string('summarize') }), "unknown task 'summarize'"],
    [
      'a task this model cannot do',
      texts(['a'], { task: param.string('classify') }),
      "model 'story-writer' cannot classify; it supports generate and tokenize",
    ],
    [
      'max_tokens of the wrong type',
      texts(['a'], { max_tokens: param.string('5') }),
      'parameter \'max_tokens\' must be an integer (int64_param), got string_param "5"',
    ],
    [
      'a temperature below 0',
      texts(['a'], { temperature: param.double(-1) }),
      "parameter 'temperature' must be 0 (greedy) or more",
    ],
    [
      'a stop that is not a JSON array',
      texts(['a'], { stop: param.string('END') }),
      "parameter 'stop' must hold a JSON array of strings",
    ],
    [
      'tokenize with two texts',
      texts(['a', 'b'], { task: param.string('tokenize') }),
      "task tokenize takes exactly one text, but 'text_input' holds 2",
    ],
    [
      'an output the task does not produce',
      { ...texts(['a']), outputs: [{ name: 'embedding' }] },
      "requested output 'embedding' is not produced by task generate",
    ],
  ];
  for (const [given, request, message] of invalid) {
    it(`given ${given}, answers INVALID_ARGUMENT "${message}"`, async () => {
      await expectCallError(rt.client.infer(request), 'INVALID_ARGUMENT', message);
    });
  }

  it('turns a passed deadline into DEADLINE_EXCEEDED and an abort into CANCELLED', async () => {
    const long = {
      model: 'story-writer',
      prompt: 'The farmer had three white goats.',
      maxTokens: 200,
      temperature: 0,
    };
    const late = await expectCallError(rt.client.generate(long, { deadline: 1 }), 'DEADLINE_EXCEEDED', '');
    expect(late.retryable).to.equal(true);
    const controller = new AbortController();
    const call = rt.client.generate(long, { signal: controller.signal });
    setTimeout(() => controller.abort(), 2);
    await expectCallError(call, 'CANCELLED', '');
    expect(await rt.client.serverReady()).to.equal(true);
  });
});

describe('request ids in the runtime log', () => {
  it('logs the caller x-request-id with the call', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({
      MODEL_NAME: 'story-writer',
      MODEL_VERSION: 'v1',
      // Never loaded: the calls below need no model.
      MODEL_ARTIFACT_URI: pathToFileURL(tmpdir()).href,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      LOG_LEVEL: 'debug',
    });
    const server = new RuntimeServer({ config, logger: createLogger(config, sink) });
    const client = new RuntimeClient(`127.0.0.1:${await server.listen()}`);
    try {
      await client.serverLive({ requestId: 'trace-42' });
      await client.modelReady('nope', '', { requestId: 'trace-43' }).catch(() => undefined);
    } finally {
      client.close();
      await server.shutdown(1000);
    }
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.find((l) => l.requestId === 'trace-42')).to.include({
      method: 'ServerLive',
      model: 'story-writer',
      version: 'v1',
    });
    expect(logged.find((l) => l.requestId === 'trace-43')).to.include({ method: 'ModelReady', code: 5 });
  });
});
