/**
 * Reads what to work on out of a ModelInfer request, checking the tensor contract: exactly one input, either
 * `text_input` (the texts of every task) or `messages` (chats, for generate and tokenize: each element a JSON
 * array of OpenAI-shaped messages), datatype BYTES, shape `[B]` with B ≥ 1, UTF-8 elements that are not empty;
 * typed contents or raw contents.
 * @module
 */
import { type ChatMessage, parseChat } from '../engine/chat.js';
import { InvalidTensorError } from '../errors.js';
import { readTensor } from '../protocol/tensors.js';
import type { InferTensorContents, ModelInferRequest } from '../protocol/types.js';

/** The input every task takes. */
export const TEXT_INPUT = 'text_input';
/** The chats generate (and tokenize) take instead of texts, rendered by the model's chat template. */
export const MESSAGES_INPUT = 'messages';

/** A request's texts or chats, one per element of its input. */
export type RequestInput =
  | { readonly kind: 'text'; readonly texts: string[] }
  | { readonly kind: 'chat'; readonly chats: ChatMessage[][] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hasTypedContents(contents: InferTensorContents | null | undefined): boolean {
  return Object.values(contents ?? {}).some((list) => Array.isArray(list) && list.length > 0);
}

/** The UTF-8 strings of the request's one input, which must be one of `names`. */
function readStrings(
  request: ModelInferRequest,
  names: readonly string[],
): { name: string; values: string[] } {
  const inputs = request.inputs ?? [];
  const raw = request.raw_input_contents ?? [];
  const expected = `one BYTES input ${names.map((n) => `'${n}'`).join(' or ')} of shape [B]`;
  if (inputs.length === 0) throw new InvalidTensorError(`the request has no inputs; expected ${expected}`);
  const other = inputs.find((input) => !names.includes(input.name));
  if (other) throw new InvalidTensorError(`unexpected input '${other.name}'; expected ${expected}`);
  if (inputs.length > 1) {
    const distinct = new Set(inputs.map((i) => i.name));
    if (distinct.size > 1)
      throw new InvalidTensorError(
        `the request has inputs ${[...distinct].map((n) => `'${n}'`).join(' and ')}; send one of them`,
      );
    throw new InvalidTensorError(`input '${inputs[0]!.name}' appears ${inputs.length} times`);
  }
  const input = inputs[0]!;
  const name = input.name;
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw new InvalidTensorError(`raw_input_contents has ${raw.length} entries but the request has 1 input`);
  }
  if (raw.length > 0 && hasTypedContents(input.contents)) {
    throw new InvalidTensorError(
      `input '${name}' has both contents and raw_input_contents; send one of them`,
    );
  }
  if (input.datatype !== 'BYTES') {
    throw new InvalidTensorError(`input '${name}' must have datatype BYTES, got '${input.datatype}'`);
  }
  if (input.shape.length !== 1) {
    throw new InvalidTensorError(
      `input '${name}' must have shape [B] (one dimension), got [${input.shape.join(',')}]`,
    );
  }
  const tensor = readTensor(input, raw[0]);
  if (tensor.datatype !== 'BYTES' || tensor.data.length === 0) {
    throw new InvalidTensorError(
      `input '${name}' must hold at least one ${name === MESSAGES_INPUT ? 'chat' : 'text'}`,
    );
  }
  const values = tensor.data.map((bytes, index) => {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new InvalidTensorError(`element ${index} of '${name}' is not valid UTF-8`);
    }
    if (text.length === 0) throw new InvalidTensorError(`element ${index} of '${name}' is empty`);
    return text;
  });
  return { name, values };
}

/**
 * The request's texts, in order: the one input every task takes.
 * @throws {InvalidTensorError} saying exactly which rule the request broke.
 */
export function readTexts(request: ModelInferRequest): string[] {
  return readStrings(request, [TEXT_INPUT]).values;
}

/**
 * The request's texts (`text_input`) or chats (`messages`), in order.
 * @throws {InvalidTensorError} saying exactly which rule the request broke, or which message of which chat.
 */
export function readInput(request: ModelInferRequest): RequestInput {
  const { name, values } = readStrings(request, [TEXT_INPUT, MESSAGES_INPUT]);
  if (name === TEXT_INPUT) return { kind: 'text', texts: values };
  return {
    kind: 'chat',
    chats: values.map((json, index) => parseChat(json, `element ${index} of '${MESSAGES_INPUT}'`)),
  };
}

/** How many texts or chats the input holds. */
export const inputRows = (input: RequestInput): number =>
  input.kind === 'text' ? input.texts.length : input.chats.length;
