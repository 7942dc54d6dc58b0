/**
 * Loads the runtime's proto files once and hands out their service definitions and client constructors.
 *
 * Loader options, shared by server and client so both sides see the same JS shapes:
 * - `keepCase`: field names stay as on the wire (`raw_input_contents`), matching the upstream protos;
 * - `longs: String`: int64/uint64 decode to decimal strings, because seeds and token ids may exceed 2^53;
 *   when encoding, numbers, decimal strings and bigints' strings are all accepted;
 * - `enums: String`, `defaults: true` (absent scalars and lists read as their defaults), `oneofs: true`
 *   (`parameter_choice` names the member that is set).
 * @module
 */
import { dirname } from 'node:path';
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { findUp } from '../find-up.js';

const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const INFERENCE_PROTO = 'inference/grpc_service.proto';
const HEALTH_PROTO = 'grpc/health/v1/health.proto';

/** Fully qualified name of the inference service; health checks accept it as a service name. */
export const INFERENCE_SERVICE_NAME = 'inference.GRPCInferenceService';

/** Metadata key carrying the caller's request id; the server logs it with every line about the call. */
export const REQUEST_ID_METADATA = 'x-request-id';

interface LoadedProtos {
  inference: ServiceClientConstructor;
  health: ServiceClientConstructor;
}

let loaded: LoadedProtos | undefined;

function load(): LoadedProtos {
  if (loaded) return loaded;
  const protoRoot = dirname(dirname(findUp(import.meta.url, `runtime/proto/${INFERENCE_PROTO}`)));
  const definition = loadSync([INFERENCE_PROTO, HEALTH_PROTO], {
    ...LOADER_OPTIONS,
    includeDirs: [protoRoot],
  });
  // biome-ignore lint/suspicious/noExplicitAny: grpc-js types a loaded package as a nested record of unknowns.
  const root = loadPackageDefinition(definition) as any;
  loaded = {
    inference: root.inference.GRPCInferenceService as ServiceClientConstructor,
    health: root.grpc.health.v1.Health as ServiceClientConstructor,
  };
  return loaded;
}

/** The `inference.GRPCInferenceService` definition, for `server.addService`. */
export function inferenceServiceDefinition(): ServiceDefinition {
  return load().inference.service;
}

/** The `grpc.health.v1.Health` definition, for `server.addService`. */
export function healthServiceDefinition(): ServiceDefinition {
  return load().health.service;
}

/** Client constructor for `inference.GRPCInferenceService`. */
export function inferenceClientConstructor(): ServiceClientConstructor {
  return load().inference;
}

/** Client constructor for `grpc.health.v1.Health`. */
export function healthClientConstructor(): ServiceClientConstructor {
  return load().health;
}
