/**
 * Reads the texts out of a ModelInfer request, checking the tensor contract: exactly one input `text_input`,
 * datatype BYTES, shape `[B]` with B ≥ 1, UTF-8 elements that are not empty; typed contents or raw contents.
 * @module
 */
import { InvalidTensorError } from '../errors.js';
import { readTensor } from '../protocol/tensors.js';
import type { InferTensorContents, ModelInferRequest } from '../protocol/types.js';

/** The one input every task takes. */
export const TEXT_INPUT = 'text_input';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hasTypedContents(contents: InferTensorContents | null | undefined): boolean {
  return Object.values(contents ?? {}).some((list) => Array.isArray(list) && list.length > 0);
}

/**
 * The request's texts, in order.
 * @throws {InvalidTensorError} saying exactly which rule the request broke.
 */
export function readTexts(request: ModelInferRequest): string[] {
  const inputs = request.inputs ?? [];
  const raw = request.raw_input_contents ?? [];
  const expected = `one BYTES input '${TEXT_INPUT}' of shape [B]`;
  if (inputs.length === 0) throw new InvalidTensorError(`the request has no inputs; expected ${expected}`);
  const other = inputs.find((input) => input.name !== TEXT_INPUT);
  if (other) throw new InvalidTensorError(`unexpected input '${other.name}'; expected ${expected}`);
  if (inputs.length > 1) throw new InvalidTensorError(`input '${TEXT_INPUT}' appears ${inputs.length} times`);
  const input = inputs[0]!;
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw new InvalidTensorError(`raw_input_contents has ${raw.length} entries but the request has 1 input`);
  }
  if (raw.length > 0 && hasTypedContents(input.contents)) {
    throw new InvalidTensorError(
      `input '${TEXT_INPUT}' has both contents and raw_input_contents; send one of them`,
    );
  }
  if (input.datatype !== 'BYTES') {
    throw new InvalidTensorError(`input '${TEXT_INPUT}' must have datatype BYTES, got '${input.datatype}'`);
  }
  if (input.shape.length !== 1) {
    throw new InvalidTensorError(
      `input '${TEXT_INPUT}' must have shape [B] (one dimension), got [${input.shape.join(',')}]`,
    );
  }
  const tensor = readTensor(input, raw[0]);
  if (tensor.datatype !== 'BYTES' || tensor.data.length === 0) {
    throw new InvalidTensorError(`input '${TEXT_INPUT}' must hold at least one text`);
  }
  return tensor.data.map((bytes, index) => {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new InvalidTensorError(`element ${index} of '${TEXT_INPUT}' is not valid UTF-8`);
    }
    if (text.length === 0) throw new InvalidTensorError(`element ${index} of '${TEXT_INPUT}' is empty`);
    return text;
  });
}
