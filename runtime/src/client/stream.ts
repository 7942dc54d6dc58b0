/**
 * Streaming generation over ModelStreamInfer: one request per call, responses turned into text chunks.
 *
 * The call is cancelled when the consumer stops iterating (`break`, `return`, a thrown error) or the signal
 * aborts, so the runtime stops generating for a reader that went away.
 * @module
 */
import {
  type Client,
  type ClientDuplexStream,
  type Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { RuntimeCallError, statusOfDetails } from '../errors.js';
import { readBoolParameter, readIntParameter } from '../protocol/parameters.js';
import { readTensor } from '../protocol/tensors.js';
import type { ModelInferRequest, ModelInferResponse, ModelStreamInferResponse } from '../protocol/types.js';
import { type CallOptions, callSetup } from './call.js';
import { type FinishReason, finishReasonOf, type GeneratedTokenLogprob, parseLogprobs } from './results.js';

/** One piece of a streamed generation. */
export interface GenerateChunk {
  /** The new text of choice `choice` since its previous chunk (empty on the last one). */
  readonly text: string;
  /** Which choice the text belongs to (0 unless `n` was asked for). */
  readonly choice: number;
  /** When asked for: the log-probabilities of the tokens generated since the choice's previous chunk. */
  readonly logprobs?: readonly GeneratedTokenLogprob[];
  /** Set on the last chunk only (choice 0's), with every choice's in `finishReasons` and the token counts. */
  readonly finishReason?: FinishReason;
  readonly finishReasons?: readonly FinishReason[];
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** On the last chunk, when the runtime sampled (see GenerateResult.sampled). */
  readonly sampled?: true;
}

type StreamCall = ClientDuplexStream<ModelInferRequest, ModelStreamInferResponse>;

const malformed = (detail: string) =>
  new RuntimeCallError(status.UNKNOWN, `malformed ModelStreamInfer response: ${detail}`);

function bytesOutput(response: Partial<ModelInferResponse>, name: string): string[] | undefined {
  const outputs = response.outputs ?? [];
  const index = outputs.findIndex((o) => o.name === name);
  if (index < 0) return undefined;
  const tensor = readTensor(outputs[index]!, response.raw_output_contents?.[index]);
  if (tensor.datatype !== 'BYTES') throw malformed(`output '${name}' is ${tensor.datatype}, expected BYTES`);
  return tensor.data.map((b) => b.toString('utf8'));
}

/** The chunk one stream message carries; throws the request's error. */
export function decodeStreamMessage(message: ModelStreamInferResponse): GenerateChunk {
  if (message.error_message) {
    throw new RuntimeCallError(statusOfDetails(message.error_message), message.error_message);
  }
  const response = message.infer_response;
  if (!response) throw malformed('neither error_message nor infer_response');
  const text = bytesOutput(response, 'text_output')?.[0] ?? '';
  if (!readBoolParameter(response.parameters, 'triton_final_response')) {
    const logprobs = bytesOutput(response, 'logprobs')?.[0];
    return {
      text,
      choice: Number(readIntParameter(response.parameters, 'choice_index') ?? 0n),
      ...(logprobs === undefined ? {} : { logprobs: parseLogprobs(logprobs) }),
    };
  }
  const finishReasons = (bytesOutput(response, 'finish_reason') ?? []).map(finishReasonOf);
  if (finishReasons.length === 0) throw malformed('the final response has no finish_reason');
  return {
    text,
    choice: 0,
    finishReason: finishReasons[0] as FinishReason,
    finishReasons,
    promptTokens: Number(readIntParameter(response.parameters, 'prompt_tokens') ?? 0n),
    completionTokens: Number(readIntParameter(response.parameters, 'completion_tokens') ?? 0n),
    ...(readBoolParameter(response.parameters, 'sampled') ? { sampled: true as const } : {}),
  };
}

/** Opens ModelStreamInfer on `client`, sends `request`, and yields its chunks until the final one. */
export async function* streamGenerate(
  client: Client,
  request: ModelInferRequest,
  options: CallOptions = {},
): AsyncGenerator<GenerateChunk, void, undefined> {
  const { signal } = options;
  if (signal?.aborted)
    throw new RuntimeCallError(status.CANCELLED, 'cancelled by the caller before the call started');
  const { metadata, callOptions } = callSetup(options);
  const open = (client as unknown as Record<string, (m: Metadata, o: object) => StreamCall>)
    .ModelStreamInfer!;
  const call = open.call(client, metadata, callOptions);
  let finished = false;
  const onAbort = () => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    call.write(request);
    call.end();
    for await (const message of call as AsyncIterable<ModelStreamInferResponse>) {
      const chunk = decodeStreamMessage(message);
      if (chunk.finishReason) finished = true;
      yield chunk;
      if (finished) return;
    }
    throw new RuntimeCallError(status.UNKNOWN, 'the stream ended before the final response');
  } catch (error) {
    if (error instanceof RuntimeCallError) throw error;
    const failure = error as ServiceError;
    throw new RuntimeCallError(failure.code ?? status.UNKNOWN, failure.details || failure.message, {
      cause: error,
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // A consumer that stopped early (or a final chunk before the server's end) must not leave the call open.
    if (!finished || !call.readableEnded) call.cancel();
  }
}
