/**
 * What a runtime's failure means to the router: the failure kind of each gRPC status (which decides retries,
 * fallbacks and circuits, routing/failure-policy.ts), refusals that are this model's and not the request's,
 * answers over the gRPC bound, and the request parameter a refusal names (OpenAI's `param`). Pure.
 * @module
 */
import type { GrpcStatusName } from '../../../runtime/src/errors.js';
import { RuntimeCallError } from '../../../runtime/src/errors.js';
import { MAX_GRPC_MESSAGE_BYTES } from '../../../runtime/src/protocol/limits.js';
import { BackendError, type FailureKind } from './backend.js';
import { scrubText } from './scrub.js';

const KIND_OF_STATUS: Partial<Record<GrpcStatusName, FailureKind>> = {
  UNAVAILABLE: 'unavailable',
  DEADLINE_EXCEEDED: 'timeout',
  RESOURCE_EXHAUSTED: 'overloaded',
  NOT_FOUND: 'misconfigured',
  FAILED_PRECONDITION: 'misconfigured',
  UNIMPLEMENTED: 'misconfigured',
  PERMISSION_DENIED: 'misconfigured',
  UNAUTHENTICATED: 'misconfigured',
  INVALID_ARGUMENT: 'rejected',
  OUT_OF_RANGE: 'rejected',
  CANCELLED: 'cancelled',
};

/**
 * The request parameter a runtime's refusal names, for OpenAI's `param`: an InvalidParameter error's
 * (`parameter 'logit_bias' ...`), the `truncate` a ContextWindowExceeded error blames
 * (`...; parameter 'truncate' is false, ...`), or the message an InvalidTensor error about the `messages` input
 * points at (`element 0 of 'messages': messages[1].tool_calls[0].function.arguments must be ...`), else
 * `messages` itself.
 */
const PARAMETER_OF_MESSAGE = [
  /^(?:InvalidParameter: )?parameter '([a-z_]+)'/,
  /; parameter '([a-z_]+)' is false\b/,
  /\bof 'messages': (messages\[\d+\](?:\.[a-z_]+|\[\d+\])*)/,
  /\bof '(messages)'/,
];

function parameterOf(message: string): string | undefined {
  for (const pattern of PARAMETER_OF_MESSAGE) {
    const param = pattern.exec(message)?.[1];
    if (param) return param;
  }
  return undefined;
}

/**
 * INVALID_ARGUMENT refusals that say what this model cannot do rather than what is wrong with the request, so
 * another target of the fallback chain may serve it (`unsupported`): tool messages or tool calls for a model
 * without a chat template (runtime/src/engine/chat.ts plainTranscript), a chat the model's template refuses
 * (engine/tokenizer.ts renderChat), `logit_bias` ids outside this model's vocabulary (engine/model.ts
 * checkLogitBias). Stable substrings of the runtime's messages; test/api/backends/runtime-backend.test.ts
 * holds them to the runtime's wording.
 */
const MODEL_SPECIFIC_REFUSALS = [
  'which only a model with a chat template can read',
  "the model's chat template refused the chat",
  "not in the model's vocabulary",
];

/** grpc-js's words for a message over the channel's bound (runtime/src/protocol/limits.ts), either way. */
const MESSAGE_TOO_LARGE = /\bmessage\b.*\blarger than\b/i;

/**
 * A runtime's failure as the router's. `address` (a pod's IP and port) is internal: the message names the
 * runtime as `name` (`runtime of model m v1`) instead, and the rest of it is scrubbed (grpc-js quotes the
 * addresses it tried); the raw error is not kept as the cause, so no log line quotes it either.
 */
export function runtimeFailure(err: unknown, address: string, name = 'the runtime'): BackendError {
  if (err instanceof BackendError) return err;
  const scrub = (text: string) => scrubText(text, { places: [{ address, name }] });
  if (err instanceof RuntimeCallError) {
    // Over the gRPC bound: asking again computes it all again and fails again. The request asked too much.
    if (err.code === 'RESOURCE_EXHAUSTED' && MESSAGE_TOO_LARGE.test(err.message)) {
      const mib = MAX_GRPC_MESSAGE_BYTES / 1024 / 1024;
      return new BackendError(
        'rejected',
        `the answer (or the request) is larger than the router accepts from a runtime (${mib} MiB): ask for fewer choices, logprobs, tokens or texts (${scrub(err.message)})`,
      );
    }
    let kind = KIND_OF_STATUS[err.code] ?? 'upstream_error';
    if (kind === 'rejected' && MODEL_SPECIFIC_REFUSALS.some((s) => err.message.includes(s)))
      kind = 'unsupported';
    const refused = kind === 'rejected' || kind === 'unsupported';
    const message = refused ? scrub(err.message) : `${name}: ${err.code}: ${scrub(err.message)}`;
    const param = refused ? parameterOf(err.message) : undefined;
    return new BackendError(kind, message, param ? { param } : undefined);
  }
  return new BackendError('upstream_error', `${name}: ${scrub((err as Error)?.message ?? String(err))}`);
}
