/**
 * The one request pipeline. Every route, whether the lean path (hot-routes.ts) or Express (app.ts) serves
 * it, runs these steps in this order:
 *
 * 1. request id and log: set by whoever received the request, before anything here;
 * 2. the caller, from the API key (401 without a known one, when keys are configured), and the route's
 *    scope (403 `permission_denied` without it);
 * 3. admission: the caller's rate limit, and for a route that changes a model the model-operations limit
 *    (429); a refusal on a models:admin route is audited;
 * 4. the body, read only now, so a refused caller never makes the router read or inflate a byte
 *    (json-body.ts: JSON only, the route's size limit, bounded decompression);
 * 5. validation against the route's schemas (400 naming each problem);
 * 6. the handler;
 * 7. the answer, or the one error mapper (respond.ts: the router's shape on /api, OpenAI's on /v1).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PayloadTooLargeError, PermissionDeniedError, RateLimitedError } from '../errors.js';
import type { Admission } from '../limits/admission.js';
import type { Metrics } from '../metrics/registry.js';
import { audit } from './audit.js';
import { type CallerKeys, identifyCaller } from './callers.js';
import { readJson } from './json-body.js';
import { sendError, sendResult } from './respond.js';
import { type AnyRoute, validated } from './route.js';
import { type Principal, requireScope } from './scopes.js';

/** What every route's pipeline shares: keys, limits, metrics and the default body limit. */
export interface PipelineDeps {
  readonly callerKeys: CallerKeys;
  readonly admit?: Admission;
  /** The model-operations limit of routes that change a model (always set by the router). */
  readonly admitModelOperation?: Admission;
  readonly metrics: Metrics;
  readonly maxBodyBytes: number;
}

/** One received request, after step 1. */
export interface Received {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly log: () => Logger;
  readonly params: Readonly<Record<string, string>>;
  readonly query: unknown;
  readonly receivedAt: number;
}

/** Steps 2 to 7 for one request; never throws (every failure is answered). */
export async function runPipeline(def: AnyRoute, deps: PipelineDeps, r: Received): Promise<void> {
  const { req, res } = r;
  let principal: Principal | undefined;
  // The handler audits what it does itself; refusals before it are audited here.
  let handled = false;
  try {
    principal = identifyCaller(deps.callerKeys, req.headers);
    requireScope(principal, def.scope);
    const caller = principal.caller;
    if (deps.admit) await deps.admit(caller);
    if (def.modelOperation && deps.admitModelOperation) await deps.admitModelOperation(caller);
    const raw = def.body ? await readJson(req, def.maxBodyBytes ?? deps.maxBodyBytes) : undefined;
    const { body, query } = validated(def, raw, r.query);
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) abort.abort();
    });
    handled = true;
    const result = await def.handler({
      headers: req.headers,
      body,
      query,
      params: r.params,
      requestId: r.requestId,
      caller,
      principal,
      get log() {
        return r.log();
      },
      signal: abort.signal,
      receivedAt: r.receivedAt,
    });
    await sendResult(res, result, r.receivedAt, deps.metrics);
  } catch (err) {
    // What the client still sends of a refused body is not read: close the connection after the answer.
    if (err instanceof PayloadTooLargeError) res.setHeader('connection', 'close');
    if (principal && !handled) auditRefusal(def, principal, r, err);
    sendError(res, err, deps.metrics, r.log());
  }
}

/** A key refused an administrative route, or a model operation over its limit, leaves an audit line. */
function auditRefusal(def: AnyRoute, principal: Principal, r: Received, err: unknown): void {
  if (def.scope !== 'models:admin') return;
  const denied = err instanceof PermissionDeniedError;
  if (!denied && !(def.modelOperation && err instanceof RateLimitedError)) return;
  audit(r.log(), {
    caller: principal.caller,
    action: def.modelOperation ?? 'models.admin',
    ...(r.params.model_id ? { target: r.params.model_id } : {}),
    outcome: 'refused',
    details: {
      route: `${def.method.toUpperCase()} ${def.path}`,
      code: denied ? 'permission_denied' : 'rate_limited',
    },
  });
}
