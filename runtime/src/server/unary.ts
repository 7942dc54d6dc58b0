/**
 * Turns an async handler into a grpc-js unary handler: one place for request ids, cancellation, timing,
 * logging and the error → status mapping.
 * @module
 */
import { type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toGrpcStatus } from '../errors.js';
import { REQUEST_ID_METADATA } from '../protocol/proto.js';

/** Per-call context handed to handlers. */
export interface CallContext {
  /** Aborts when the caller cancels or its deadline passes. */
  readonly signal: AbortSignal;
  /** The caller's `x-request-id` metadata, or "". */
  readonly requestId: string;
  readonly logger: Logger;
}

export type AsyncUnary<Req, Res> = (request: Req, context: CallContext) => Promise<Res>;

/**
 * Wraps `handler` as the grpc-js handler of `method`. Successful calls log at `servedLevel`: `info` for work
 * worth an access-log line, `debug` for probes and metadata that Kubernetes and routers call every few seconds.
 */
export function unary<Req, Res>(
  logger: Logger,
  method: string,
  handler: AsyncUnary<Req, Res>,
  servedLevel: 'info' | 'debug' = 'info',
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const requestId = String(call.metadata.get(REQUEST_ID_METADATA)[0] ?? '');
    const callLogger = logger.child({ method, ...(requestId ? { requestId } : {}) });
    const controller = new AbortController();
    let answered = false;
    // grpc-js also reports a call that ended normally as 'cancelled' once its stream closes; aborting then
    // would cost a DOMException per call for nobody (about 7% of a busy runtime's CPU).
    call.on('cancelled', () => {
      if (!answered) controller.abort();
    });
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    handler(call.request, { signal: controller.signal, requestId, logger: callLogger }).then(
      (response) => {
        answered = true;
        callLogger[servedLevel]({ ms: ms() }, 'Served call');
        callback(null, response);
      },
      (error: unknown) => {
        answered = true;
        const { code, details } = toGrpcStatus(error);
        const internal = code === status.INTERNAL;
        const fields = { ms: ms(), code, details, ...(internal ? { err: error } : {}) };
        // Engine failures are ours to look at; rejected requests are the caller's, so they log quieter.
        if (internal) callLogger.error(fields, 'Failed call');
        else callLogger.info(fields, 'Rejected call');
        callback({ code, details });
      },
    );
  };
}
