/**
 * TypeScript shapes of the wire messages, as @grpc/proto-loader hands them over with the options in `proto.ts`.
 *
 * Decoded int64/uint64 fields are decimal strings; when encoding, numbers are accepted too (`Int64`).
 * Optional marks (`?`) are for messages we build: decoded messages always carry every non-oneof field.
 * @module
 */

/** An int64 as decoded (decimal string) or as accepted when encoding (number or decimal string). */
export type Int64 = string | number;

/** The member of `InferParameter.parameter_choice` that is set. */
export type ParameterChoice = 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';

export interface InferParameter {
  bool_param?: boolean;
  int64_param?: Int64;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64;
  parameter_choice?: ParameterChoice;
}

export type InferParameters = Record<string, InferParameter>;

export interface InferTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Int64[];
  uint_contents?: number[];
  uint64_contents?: Int64[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

/** Input and output tensors share this shape on the wire. */
export interface InferTensor {
  name: string;
  datatype: string;
  shape: Int64[];
  parameters?: InferParameters;
  contents?: InferTensorContents | null;
}

export interface InferRequestedOutputTensor {
  name: string;
  parameters?: InferParameters;
}

export interface ModelInferRequest {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: InferParameters;
  inputs: InferTensor[];
  outputs?: InferRequestedOutputTensor[];
  raw_input_contents?: Uint8Array[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: InferParameters;
  outputs: InferTensor[];
  raw_output_contents: Uint8Array[];
}

/** One message of ModelStreamInfer: an error for one request, or one of its responses. */
export interface ModelStreamInferResponse {
  /** `<Code>: <message>` when the request failed; empty otherwise. */
  error_message: string;
  /** On an error, only names the request (model, version, id). */
  infer_response?: Partial<ModelInferResponse> | null;
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: Int64[];
}

export interface ModelMetadataResponse {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  /** The OIP's optional model parameters; paissive puts the artifact fetch's state here. */
  parameters?: InferParameters;
}

export interface ServerMetadataResponse {
  name: string;
  version: string;
  extensions: string[];
}

/** `ModelReadyRequest` and `ModelMetadataRequest`. */
export interface ModelRef {
  name: string;
  version?: string;
}

export type ModelState = 'READY' | 'LOADING' | 'UNAVAILABLE';

export interface ModelIndexEntry {
  name: string;
  version: string;
  state: ModelState;
  reason: string;
}

export interface RepositoryIndexRequest {
  repository_name?: string;
  ready?: boolean;
}

/** `RepositoryModelLoadRequest` and `RepositoryModelUnloadRequest` (parameters are accepted and ignored). */
export interface RepositoryModelRequest {
  repository_name?: string;
  model_name: string;
}

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthCheckRequest {
  service?: string;
}

export interface HealthCheckResponse {
  status: ServingStatus;
}
