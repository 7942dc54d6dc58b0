/**
 * openSession with EXECUTION_PROVIDER=cuda on a CPU build of onnxruntime-node: a typed GPUUnavailableError,
 * never a CPU session; and the error text onnxruntime itself gives when asked for CUDA here.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import type { EngineConfig } from '../../../runtime/src/config.js';
import {
  cudaProviderInstalled,
  isCudaUnavailable,
  openSession,
} from '../../../runtime/src/engine/session.js';
import { GPUUnavailableError, statusOfDetails, toGrpcStatus } from '../../../runtime/src/errors.js';
import { failureReason } from '../../../runtime/src/lifecycle.js';
import { modelDir } from '../helpers/runtime.js';

const graph = () => join(modelDir('sentiment-v1'), 'onnx', 'model.onnx');
const engine = (executionProvider: EngineConfig['executionProvider']): EngineConfig => ({
  executionProvider,
  cudaDeviceId: 0,
  intraOpThreads: 1,
});

describe('engine/session: CUDA required', () => {
  before(function () {
    // These tests are about a machine without CUDA; on a CUDA build they would test something else.
    if (cudaProviderInstalled()) this.skip();
  });

  it('refuses EXECUTION_PROVIDER=cuda with GPUUnavailableError instead of opening a CPU session', async () => {
    const error = await openSession(graph(), engine('cuda')).then(
      () => expect.fail('opened a session without CUDA'),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(GPUUnavailableError);
    expect((error as Error).message).to.include('not installed');
    expect(failureReason(error)).to.equal('GPUUnavailable');
    const { details } = toGrpcStatus(error);
    expect(details).to.match(/^GPUUnavailable: /);
    expect(statusOfDetails(details)).to.equal((error as GPUUnavailableError).grpcStatus);
  });

  it('still falls back to the CPU with auto, and says why', async () => {
    const opened = await openSession(graph(), engine('auto'));
    try {
      expect(opened).to.include({ provider: 'cpu', requested: 'auto' });
      expect(opened.fallback).to.include('not installed');
    } finally {
      await opened.session.release();
    }
  });

  it("recognises the error onnxruntime-node gives here when asked for 'cuda' directly", async () => {
    const message = await ort.InferenceSession.create(graph(), {
      executionProviders: [{ name: 'cuda', deviceId: 0 }],
    }).then(
      async (session) => {
        await session.release();
        return expect.fail('onnxruntime opened a CUDA session on a CPU build');
      },
      (e: Error) => e.message,
    );
    expect(message).to.include('OrtSessionOptionsAppendExecutionProvider_Cuda');
    expect(isCudaUnavailable(message)).to.equal(true);
  });

  const table: [string, boolean][] = [
    ['OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library', true],
    ['CUDA failure 100: no CUDA-capable device is detected ; GPU=0', true],
    ['Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12', true],
    ['CUDNN failure 4: CUDNN_STATUS_INTERNAL_ERROR', true],
    ['Load model from /m/model.onnx failed:Protobuf parsing failed.', false],
    ['Type Error: Type (tensor(float16)) of output arg (x) of node (Add) does not match', false],
  ];
  for (const [message, gpu] of table) {
    it(`reads '${message.slice(0, 50)}' as ${gpu ? 'no CUDA' : 'a graph error'}`, () => {
      expect(isCudaUnavailable(message)).to.equal(gpu);
    });
  }
});
