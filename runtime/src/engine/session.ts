/**
 * onnxruntime-node sessions: opening one, and describing its inputs and outputs in plain data.
 *
 * onnxruntime-node runs each `session.run` synchronously on the main thread (inside a setImmediate), so runs
 * of concurrent requests interleave between steps rather than overlap; no locking is needed around a session.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { ModelLoadFailedError } from '../errors.js';

/** One graph input or output: name, element type, and shape (symbolic dims as strings, unknown as -1). */
export interface TensorInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** The graph's inputs and outputs. */
export interface SessionIO {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

/** Opens `modelPath` on the CPU execution provider. */
export async function openSession(
  modelPath: string,
  options: { intraOpNumThreads?: number | undefined },
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
  } catch (error) {
    throw new ModelLoadFailedError(`onnxruntime cannot load ${modelPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function info(metadata: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!metadata.isTensor) return { name: metadata.name, type: 'non-tensor', shape: [] };
  return { name: metadata.name, type: metadata.type, shape: [...metadata.shape] };
}

/** The session's inputs and outputs, as plain data for the pure layout checks. */
export function describeSession(session: ort.InferenceSession): SessionIO {
  return { inputs: session.inputMetadata.map(info), outputs: session.outputMetadata.map(info) };
}
