/**
 * `ModelStreamInfer`: Triton's bidirectional streaming RPC, used for token-by-token generation.
 *
 * Each request on the stream is served on its own (several may be in flight; responses carry the request's
 * `id`). A generation answers with one response per piece of new text of one choice (`text_output` `[1]`,
 * parameters `choice_index` and `triton_final_response: false`, and `logprobs` `[1]` with the tokens of the
 * piece when asked for), then a final response with `text_output` `[n]` emptied, `finish_reason` `[n]`,
 * `prompt_tokens`, `completion_tokens`, `choices`, `sampled` and `triton_final_response: true`. Other tasks
 * answer with their one ModelInfer response, marked final. A failed request gets `error_message` = `<Code>: <message>` (the stream
 * stays open for the others); the stream ends once the client half-closed and every request finished.
 * Cancelling the call stops every generation on it at the next step.
 * @module
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GenerateDelta } from '../engine/model.js';
import { InvalidTensorError, toGrpcStatus } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import { param } from '../protocol/parameters.js';
import { REQUEST_ID_METADATA } from '../protocol/proto.js';
import { bytesTensor } from '../protocol/tensors.js';
import type { ModelInferRequest, ModelInferResponse, ModelStreamInferResponse } from '../protocol/types.js';
import { infer, type Served } from './infer.js';
import { inputRows, readInput } from './infer-request.js';
import { logprobsJson } from './infer-response.js';
import type { ModelManager } from './model-manager.js';

/** Triton's marker of the last response to a request on a decoupled stream. */
export const FINAL_RESPONSE_PARAMETER = 'triton_final_response';

export interface StreamOptions {
  readonly manager: ModelManager;
  readonly served: Served;
  readonly logger: Logger;
  readonly metrics?: RuntimeMetrics;
}

type StreamCall = ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>;

/** A response that carries one choice's new text as `text_output`, and its tokens' `logprobs` when asked. */
function textResponse(request: ModelInferRequest, served: Served, delta: GenerateDelta): ModelInferResponse {
  const tensors = [
    bytesTensor('text_output', [1], [delta.text]),
    ...(delta.logprobs ? [bytesTensor('logprobs', [1], [logprobsJson(delta.logprobs)])] : []),
  ];
  return {
    model_name: served.name,
    model_version: served.version,
    id: request.id ?? '',
    parameters: {
      [FINAL_RESPONSE_PARAMETER]: param.bool(false),
      choice_index: param.int64(delta.choice),
    },
    outputs: tensors.map((t) => t.tensor),
    raw_output_contents: tensors.map((t) => t.raw),
  };
}

/**
 * The final response: the task's response, marked final; when the text was streamed, `text_output` emptied
 * (one empty string per choice) and `logprobs` left out (both were streamed).
 */
function finalResponse(response: ModelInferResponse, streamed: boolean): ModelInferResponse {
  const index = streamed ? response.outputs.findIndex((o) => o.name === 'text_output') : -1;
  const rows = response.outputs[index]?.shape.map(Number)[0] ?? 1;
  const empty = bytesTensor(
    'text_output',
    [rows],
    Array.from({ length: rows }, () => ''),
  );
  const kept = response.outputs
    .map((o, i) => ({ o, r: response.raw_output_contents[i] as Buffer, i }))
    .filter(({ o }) => !(streamed && o.name === 'logprobs'));
  return {
    ...response,
    parameters: { ...response.parameters, [FINAL_RESPONSE_PARAMETER]: param.bool(true) },
    outputs: kept.map(({ o, i }) => (i === index ? empty.tensor : o)),
    raw_output_contents: kept.map(({ r, i }) => (i === index ? empty.raw : r)),
  };
}

/** The grpc-js handler of ModelStreamInfer. */
export function streamInferHandler(options: StreamOptions): (call: StreamCall) => void {
  const { manager, served, metrics } = options;
  return (call) => {
    const requestId = String(call.metadata.get(REQUEST_ID_METADATA)[0] ?? '');
    const logger = options.logger.child({ method: 'ModelStreamInfer', ...(requestId ? { requestId } : {}) });
    const controller = new AbortController();
    let inFlight = 0;
    let halfClosed = false;
    let ended = false;
    const write = (message: ModelStreamInferResponse) => {
      if (!controller.signal.aborted) call.write(message);
    };
    const finishIfDone = () => {
      if (halfClosed && inFlight === 0 && !controller.signal.aborted && !ended) {
        ended = true;
        call.end();
      }
    };

    const serve = async (request: ModelInferRequest) => {
      const started = performance.now();
      let chunks = 0;
      try {
        const generating =
          manager.model?.task === 'generate' && request.parameters?.task?.string_param !== 'tokenize';
        if (generating && inputRows(readInput(request)) !== 1) {
          throw new InvalidTensorError(
            "ModelStreamInfer generates one text per request: 'text_input' (or 'messages') must have shape [1]",
          );
        }
        const onDelta = (delta: GenerateDelta) => {
          chunks++;
          write({ error_message: '', infer_response: textResponse(request, served, delta) });
        };
        const response = await infer(request, {
          manager,
          served,
          signal: controller.signal,
          method: 'ModelStreamInfer',
          ...(metrics ? { metrics } : {}),
          ...(generating ? { onDelta } : {}),
        });
        write({ error_message: '', infer_response: finalResponse(response, generating) });
        logger.info({ ms: performance.now() - started, chunks, id: request.id ?? '' }, 'Served call');
      } catch (error) {
        const { code, details } = toGrpcStatus(error);
        logger.info({ ms: performance.now() - started, code, details }, 'Rejected call');
        write({
          error_message: details,
          infer_response: { model_name: served.name, model_version: served.version, id: request.id ?? '' },
        });
      }
    };

    call.on('data', (request: ModelInferRequest) => {
      inFlight++;
      void serve(request).finally(() => {
        inFlight--;
        finishIfDone();
      });
    });
    call.on('end', () => {
      halfClosed = true;
      finishIfDone();
    });
    // A stream that ended normally is reported 'cancelled' too once it closes: nothing left to stop then.
    const stop = () => {
      if (!ended) controller.abort();
    };
    call.on('cancelled', stop);
    call.on('error', stop);
  };
}
