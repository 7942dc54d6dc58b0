import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import protobuf from 'protobufjs';
import {
  healthServiceDefinition,
  inferenceClientConstructor,
  inferenceServiceDefinition,
} from '../../../runtime/src/protocol/proto.js';

const protoPath = (relative: string) =>
  fileURLToPath(new URL(`../../../runtime/proto/${relative}`, import.meta.url));

/** Field numbers from KServe's grpc_predict_v2.proto and Triton's grpc_service.proto; the wire depends on them. */
const UPSTREAM_FIELDS: Record<string, Record<string, number>> = {
  'inference.ModelReadyRequest': { name: 1, version: 2 },
  'inference.ServerMetadataResponse': { name: 1, version: 2, extensions: 3 },
  'inference.ModelMetadataResponse': {
    name: 1,
    versions: 2,
    platform: 3,
    inputs: 4,
    outputs: 5,
    parameters: 6,
  },
  'inference.ModelStreamInferResponse': { error_message: 1, infer_response: 2 },
  'inference.ModelMetadataResponse.TensorMetadata': { name: 1, datatype: 2, shape: 3 },
  'inference.InferParameter': {
    bool_param: 1,
    int64_param: 2,
    string_param: 3,
    double_param: 4,
    uint64_param: 5,
  },
  'inference.InferTensorContents': {
    bool_contents: 1,
    int_contents: 2,
    int64_contents: 3,
    uint_contents: 4,
    uint64_contents: 5,
    fp32_contents: 6,
    fp64_contents: 7,
    bytes_contents: 8,
  },
  'inference.ModelInferRequest': {
    model_name: 1,
    model_version: 2,
    id: 3,
    parameters: 4,
    inputs: 5,
    outputs: 6,
    raw_input_contents: 7,
  },
  'inference.ModelInferRequest.InferInputTensor': {
    name: 1,
    datatype: 2,
    shape: 3,
    parameters: 4,
    contents: 5,
  },
  'inference.ModelInferRequest.InferRequestedOutputTensor': { name: 1, parameters: 2 },
  'inference.ModelInferResponse': {
    model_name: 1,
    model_version: 2,
    id: 3,
    parameters: 4,
    outputs: 5,
    raw_output_contents: 6,
  },
  'inference.ModelInferResponse.InferOutputTensor': {
    name: 1,
    datatype: 2,
    shape: 3,
    parameters: 4,
    contents: 5,
  },
  'inference.ModelRepositoryParameter': { bool_param: 1, int64_param: 2, string_param: 3, bytes_param: 4 },
  'inference.RepositoryIndexRequest': { repository_name: 1, ready: 2 },
  'inference.RepositoryIndexResponse': { models: 1 },
  'inference.RepositoryIndexResponse.ModelIndex': { name: 1, version: 2, state: 3, reason: 4 },
  'inference.RepositoryModelLoadRequest': { repository_name: 1, model_name: 2, parameters: 3 },
  'inference.RepositoryModelUnloadRequest': { repository_name: 1, model_name: 2, parameters: 3 },
  'grpc.health.v1.HealthCheckRequest': { service: 1 },
  'grpc.health.v1.HealthCheckResponse': { status: 1 },
};

describe('proto files', () => {
  const root = new protobuf.Root();
  root.loadSync([protoPath('inference/grpc_service.proto'), protoPath('grpc/health/v1/health.proto')], {
    keepCase: true,
  });

  for (const [message, fields] of Object.entries(UPSTREAM_FIELDS)) {
    it(`given ${message}, keeps the upstream field numbers`, () => {
      const type = root.lookupType(message);
      expect(Object.fromEntries(Object.values(type.fields).map((f) => [f.name, f.id]))).to.deep.equal(fields);
    });
  }

  it('declares the OIP v2 and repository RPCs on inference.GRPCInferenceService, and Check/Watch on health', () => {
    expect(Object.keys(inferenceServiceDefinition())).to.have.members([
      'ServerLive',
      'ServerReady',
      'ModelReady',
      'ServerMetadata',
      'ModelMetadata',
      'ModelInfer',
      'ModelStreamInfer',
      'RepositoryIndex',
      'RepositoryModelLoad',
      'RepositoryModelUnload',
    ]);
    expect(inferenceServiceDefinition().ModelInfer?.path).to.equal(
      '/inference.GRPCInferenceService/ModelInfer',
    );
    expect(Object.keys(healthServiceDefinition())).to.have.members(['Check', 'Watch']);
    expect(healthServiceDefinition().Watch?.responseStream).to.equal(true);
    expect(inferenceServiceDefinition().ModelStreamInfer).to.include({
      requestStream: true,
      responseStream: true,
    });
  });

  it('decodes int64 as decimal strings and names the oneof member set', () => {
    const definition = inferenceClientConstructor().service.ModelInfer!;
    const bytes = definition.requestSerialize({
      model_name: 'm',
      parameters: { seed: { int64_param: '9223372036854775807' }, t: { double_param: 0.5 } },
      inputs: [],
    });
    const decoded = definition.requestDeserialize(bytes) as { parameters: Record<string, object> };
    expect(decoded.parameters.seed).to.deep.equal({
      int64_param: '9223372036854775807',
      parameter_choice: 'int64_param',
    });
    expect(decoded.parameters.t).to.deep.equal({ double_param: 0.5, parameter_choice: 'double_param' });
  });
});
