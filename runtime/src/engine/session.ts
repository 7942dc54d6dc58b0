/**
 * onnxruntime-node sessions: choosing the execution provider, opening one, and describing its inputs and
 * outputs in plain data.
 *
 * onnxruntime-node runs each `session.run` synchronously on the main thread (inside a setImmediate), so runs
 * of concurrent requests interleave between steps rather than overlap; no locking is needed around a session.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { EngineConfig, ExecutionProviderChoice } from '../config.js';
import { GPUUnavailableError, ModelLoadFailedError } from '../errors.js';

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

export type ExecutionProvider = 'cpu' | 'cuda';

/** An open session and how it came to run where it runs. */
export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ExecutionProvider;
  readonly requested: ExecutionProviderChoice;
  /** Why CUDA was not used although the configuration allowed or asked for it. */
  readonly fallback?: string;
}

/**
 * Whether the CUDA provider library sits beside onnxruntime-node's binding. The npm package ships the CPU
 * build only; the container image installs the CUDA build, which adds `libonnxruntime_providers_cuda.so`.
 * Looking first keeps `auto` on a CPU machine from making onnxruntime log a failed library load.
 */
export function cudaProviderInstalled(): boolean {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bin = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** The options a session opens with on `provider` (exported for bench/runtime/session-options.ts). */
export function sessionOptions(
  engine: EngineConfig,
  provider: ExecutionProvider,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? [{ name: 'cuda', deviceId: engine.cudaDeviceId }] : ['cpu'],
    graphOptimizationLevel: 'all',
    ...(engine.intraOpThreads ? { intraOpNumThreads: engine.intraOpThreads } : {}),
    ...(engine.interOpThreads ? { interOpNumThreads: engine.interOpThreads } : {}),
    // Pool threads that spin between operators keep cores busy that the gRPC thread, other containers and
    // the other pool threads need; sleeping costs little at the sizes measured (docs/benchmarks.md, Runtime).
    ...(engine.spinning
      ? {}
      : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  };
}

async function create(
  modelPath: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(modelPath, options);
  } catch (error) {
    throw new ModelLoadFailedError(`onnxruntime cannot load ${modelPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Whether a failed session creation on CUDA failed for want of the CUDA provider rather than for the graph.
 * onnxruntime-node 1.x on its CPU build answers `OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load
 * shared library`; a CUDA build without a usable driver or device names CUDA (or cuDNN) in its error, e.g.
 * `CUDA failure 100: no CUDA-capable device is detected`. A graph error names neither.
 */
export function isCudaUnavailable(message: string): boolean {
  return /AppendExecutionProvider_Cuda|providers_(cuda|shared)|\bcu(da|dnn|blas)\b/i.test(message);
}

/**
 * Opens `modelPath` on the provider the configuration chooses: `cpu`; `cuda` (CUDA only: a version that holds
 * a GPU must not quietly run on the CPU); `auto` (CUDA when its library is installed and starts, else the CPU).
 * With `cuda` onnxruntime may still place single operators on the CPU; what is refused is a session without
 * the CUDA provider at all.
 * @throws {GPUUnavailableError} with `cuda`, when the CUDA provider is not installed or cannot start.
 * @throws {ModelLoadFailedError} when the graph cannot be loaded.
 */
export async function openSession(modelPath: string, engine: EngineConfig): Promise<OpenedSession> {
  const requested = engine.executionProvider;
  if (requested === 'cuda' && !cudaProviderInstalled()) {
    throw new GPUUnavailableError(
      `EXECUTION_PROVIDER=cuda but the CUDA execution provider is not installed (libonnxruntime_providers_cuda.so is missing: a CPU build of onnxruntime-node); refusing to run on the CPU`,
    );
  }
  let fallback: string | undefined;
  if (requested === 'cuda' || (requested === 'auto' && cudaProviderInstalled())) {
    try {
      const session = await create(modelPath, sessionOptions(engine, 'cuda'));
      return { session, provider: 'cuda', requested };
    } catch (error) {
      const detail = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      if (requested === 'cuda' && isCudaUnavailable(detail)) {
        throw new GPUUnavailableError(
          `EXECUTION_PROVIDER=cuda but the CUDA execution provider cannot start on device ${engine.cudaDeviceId}: ${firstLine(detail)}; refusing to run on the CPU`,
          { cause: error },
        );
      }
      if (requested === 'cuda') throw error;
      fallback = `the CUDA execution provider cannot start: ${detail}`;
    }
  } else if (requested === 'auto') {
    fallback = 'the CUDA execution provider is not installed (CPU build of onnxruntime-node)';
  }
  const session = await create(modelPath, sessionOptions(engine, 'cpu'));
  return { session, provider: 'cpu', requested, ...(fallback ? { fallback } : {}) };
}

/** A provider error can run to a stack of lines; a termination message wants the first. */
const firstLine = (text: string) => text.split('\n')[0]?.trim() ?? '';

function info(metadata: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!metadata.isTensor) return { name: metadata.name, type: 'non-tensor', shape: [] };
  return { name: metadata.name, type: metadata.type, shape: [...metadata.shape] };
}

/** The session's inputs and outputs, as plain data for the pure layout checks. */
export function describeSession(session: ort.InferenceSession): SessionIO {
  return { inputs: session.inputMetadata.map(info), outputs: session.outputMetadata.map(info) };
}
