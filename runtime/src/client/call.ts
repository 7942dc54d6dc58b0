/**
 * One unary call with the client's per-call options: deadline, cancellation and request id.
 * @module
 */
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { RuntimeCallError } from '../errors.js';
import { REQUEST_ID_METADATA } from '../protocol/proto.js';

/** Options every RuntimeClient call takes. */
export interface CallOptions {
  /** A Date is an absolute deadline; a number is a timeout in milliseconds from now. */
  readonly deadline?: Date | number;
  /** Aborting cancels the call; it then fails with CANCELLED. */
  readonly signal?: AbortSignal;
  /** Sent as `x-request-id` metadata; the runtime logs it with the call. */
  readonly requestId?: string;
}

/** The gRPC metadata (request id) and call options (deadline) of one call. */
export function callSetup(options: CallOptions): { metadata: Metadata; callOptions: { deadline?: Date } } {
  const metadata = new Metadata();
  if (options.requestId) metadata.set(REQUEST_ID_METADATA, options.requestId);
  const { deadline } = options;
  const callOptions =
    deadline === undefined
      ? {}
      : { deadline: typeof deadline === 'number' ? new Date(Date.now() + deadline) : deadline };
  return { metadata, callOptions };
}

type UnaryMethod = (
  request: unknown,
  metadata: Metadata,
  options: { deadline?: Date },
  callback: (error: ServiceError | null, response?: unknown) => void,
) => { cancel(): void };

/**
 * Calls `method` on `client` and resolves with the response.
 * @throws {RuntimeCallError} carrying the status grpc-js reported.
 */
export function unaryCall<Res>(
  client: Client,
  method: string,
  request: unknown,
  options: CallOptions = {},
): Promise<Res> {
  const { signal } = options;
  if (signal?.aborted) {
    return Promise.reject(
      new RuntimeCallError(status.CANCELLED, 'cancelled by the caller before the call started'),
    );
  }
  const { metadata, callOptions } = callSetup(options);
  const fn = (client as unknown as Record<string, UnaryMethod>)[method] as UnaryMethod;
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => call.cancel();
    const call = fn.call(client, request, metadata, callOptions, (error, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(new RuntimeCallError(error.code, error.details || error.message, { cause: error }));
      else resolve(response as Res);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
