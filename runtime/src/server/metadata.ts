/**
 * The tensor contract of each task, as ModelMetadata reports it (-1 marks a variable dimension).
 * @module
 */
import type { TensorMetadata } from '../protocol/types.js';
import { MESSAGES_INPUT, TEXT_INPUT } from './infer-request.js';
import type { InferTask } from './params.js';

/** KServe/Triton platform name of ONNX Runtime models. */
export const PLATFORM = 'onnxruntime_onnx';

/** What the metadata needs to know about a model beyond its task. */
export interface ModelShape {
  /** Number of classes (classify). */
  readonly labels?: number;
  /** Embedding size (embed). */
  readonly dim?: number;
}

const tensor = (name: string, datatype: string, shape: number[]): TensorMetadata => ({
  name,
  datatype,
  shape,
});

/**
 * Inputs of a model's task; a request sends one of them. Generation models also take `messages`: chats, each
 * element a JSON array of OpenAI-shaped messages, rendered with the model's chat template.
 */
export function taskInputs(task: InferTask): TensorMetadata[] {
  const text = tensor(TEXT_INPUT, 'BYTES', [-1]);
  return task === 'generate' ? [text, tensor(MESSAGES_INPUT, 'BYTES', [-1])] : [text];
}

/** Outputs of a task, in the order ModelInfer returns them. */
export function taskOutputs(task: InferTask, shape: ModelShape): TensorMetadata[] {
  switch (task) {
    case 'generate':
      // `logprobs` only when the request asks for them (parameter `logprobs`).
      return [
        tensor('text_output', 'BYTES', [-1]),
        tensor('finish_reason', 'BYTES', [-1]),
        tensor('logprobs', 'BYTES', [-1]),
      ];
    case 'classify':
      return [
        tensor('label', 'BYTES', [-1]),
        tensor('score', 'FP32', [-1]),
        tensor('scores', 'FP32', [-1, shape.labels ?? -1]),
      ];
    case 'embed':
      return [tensor('embedding', 'FP32', [-1, shape.dim ?? -1])];
    case 'tokenize':
      return [tensor('token_ids', 'INT64', [-1]), tensor('tokens', 'BYTES', [-1])];
  }
}
