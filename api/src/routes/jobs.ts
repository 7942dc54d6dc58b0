/**
 * Batch jobs: submit many inference requests at once (or one with `"async": true`), then poll for
 * progress and results, or cancel what has not started.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { JobNotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { type AnyRoute, type RouteResult, route } from '../http/route.js';
import { hasScope, type Principal, requireModel } from '../http/scopes.js';
import type { InferenceService } from '../inference/inference-service.js';
import { chatCompletionBody } from '../inference/openai-format.js';
import { generation } from '../inference/operations.js';
import {
  analyzeBody,
  analyzeOperation,
  generateParams,
  routing,
  textBody,
  textOperation,
} from '../inference/rest.js';
import type { ItemRunner, SubmitRequest } from '../jobs/job-queue.js';
import type { Admission } from '../limits/admission.js';
import {
  type BatchItem,
  type BatchRequest,
  batchAccepted,
  batchRequest,
  idempotencyKey,
  jobPageQuery,
  jobView,
} from '../schemas/jobs.js';

/**
 * Runs a batch item through the same routing, fallbacks, cache and metering as a live request; with `admit`,
 * each item first takes from its caller's request limit (a refusal defers the item: jobs/item-policy.ts).
 */
export function batchItemRunner(inference: InferenceService, admit?: Admission): ItemRunner {
  return async (item, ctx) => {
    await admit?.(ctx.caller);
    if (item.type === 'text') {
      const op = textOperation({ ...item, stream: false, async: false });
      return textBody(await inference.run(op, routing(item), ctx));
    }
    if (item.type === 'chat') {
      const messages = item.messages.map((m) => ({
        role: m.role,
        content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''),
      }));
      const op = generation({ kind: 'chat', messages }, generateParams(item.parameters));
      return chatCompletionBody(await inference.run(op, routing(item), ctx));
    }
    return analyzeBody(item.task, await inference.run(analyzeOperation(item), routing(item), ctx));
  };
}

/** The `Idempotency-Key` header, checked like the body field. */
function headerKey(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['idempotency-key'];
  if (value === undefined) return undefined;
  const parsed = idempotencyKey.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    `Invalid Idempotency-Key header: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    {
      problems: [{ path: 'headers.idempotency-key', message: parsed.error.issues[0]?.message ?? 'invalid' }],
    },
  );
}

/** Submits a job; answers 202 with its status URL (200 when an idempotency key named an existing job). */
export async function submitJob(
  deps: AppDeps,
  items: readonly BatchItem[],
  options: {
    priority: SubmitRequest['priority'];
    idempotencyKey?: string;
    headers: IncomingHttpHeaders;
    /** The submitter, to whom the items are metered. */
    caller: string;
  },
): Promise<RouteResult> {
  const fromHeader = headerKey(options.headers);
  if (fromHeader && options.idempotencyKey && fromHeader !== options.idempotencyKey) {
    throw new ValidationError('The Idempotency-Key header and idempotency_key differ: send one of them', {
      problems: [{ path: 'body.idempotency_key', message: 'differs from the Idempotency-Key header' }],
    });
  }
  const key = options.idempotencyKey ?? fromHeader;
  const { job, created } = await deps.jobs.submit({
    items,
    priority: options.priority,
    ...(key ? { idempotencyKey: key } : {}),
    caller: options.caller,
  });
  const statusUrl = `/api/inference/jobs/${job.job_id}`;
  return {
    status: created ? 202 : 200,
    body: {
      job_id: job.job_id,
      status: job.status,
      priority: job.priority,
      status_url: statusUrl,
      total: job.progress.total,
      created,
    },
    headers: { location: statusUrl },
  };
}

/**
 * Another caller's job is answered as unknown (ids are not capabilities), unless the key holds `jobs:all`
 * (an operator following every caller's batches).
 */
function mayReadJob(principal: Principal, owner: string | undefined): boolean {
  return owner === principal.caller || hasScope(principal, 'jobs:all');
}

export function jobRoutes(deps: AppDeps): AnyRoute[] {
  const notFound = (id: string): JobNotFoundError =>
    new JobNotFoundError(`No job ${id} (it may have expired)`, { job_id: id });
  const cancel = {
    summary: 'Cancel the items of a job that have not started',
    tag: 'jobs',
    scope: 'batch' as const,
    responses: { 200: { description: 'The job after cancellation', schema: jobView } },
    handler: async ({
      params,
      principal,
    }: {
      params: Readonly<Record<string, string>>;
      principal: Principal;
    }) => {
      const id = params.job_id as string;
      const owned = await deps.jobs.get(id, { offset: 0, limit: 0 });
      if (!owned || !mayReadJob(principal, owned.caller)) throw notFound(id);
      const job = await deps.jobs.cancel(id);
      if (!job) throw notFound(id);
      return { body: job };
    },
  };
  return [
    route<BatchRequest>({
      method: 'post',
      path: '/api/inference/batch',
      summary:
        'Submit a batch of text, analyze and chat requests; answered at once with a job id (202), or with the ' +
        'existing job (200) when the idempotency key was seen before',
      tag: 'jobs',
      scope: 'batch',
      body: batchRequest,
      maxBodyBytes: deps.config.BATCH_MAX_BYTES,
      responses: {
        202: { description: 'Accepted; poll status_url', schema: batchAccepted },
        200: { description: 'The job this idempotency key made earlier', schema: batchAccepted },
      },
      handler: async ({ body, headers, caller, principal }) => {
        const max = deps.config.BATCH_MAX_ITEMS;
        if (body.requests.length > max) {
          throw new PayloadTooLargeError(
            `A batch holds at most ${max} requests (got ${body.requests.length})`,
            { max_items: max },
          );
        }
        // Refused at submit, naming the item: an item the key may not ask for must not wait in the queue.
        body.requests.forEach((item, index) => {
          requireModel(principal, item.model_id, { item: index });
        });
        return submitJob(deps, body.requests, {
          priority: body.priority,
          ...(body.idempotency_key ? { idempotencyKey: body.idempotency_key } : {}),
          headers,
          caller,
        });
      },
    }),
    route<undefined, z.infer<typeof jobPageQuery>>({
      method: 'get',
      path: '/api/inference/jobs/:job_id',
      summary: 'Job status, progress, timings and results in request order (paged with offset/limit)',
      tag: 'jobs',
      scope: 'batch',
      query: jobPageQuery,
      responses: { 200: { description: 'The job', schema: jobView } },
      handler: async ({ params, query, principal }) => {
        const id = params.job_id as string;
        const job = await deps.jobs.get(id, query);
        if (!job || !mayReadJob(principal, job.caller)) throw notFound(id);
        return { body: job };
      },
    }),
    route({ ...cancel, method: 'delete', path: '/api/inference/jobs/:job_id' }),
    route({
      ...cancel,
      method: 'post',
      path: '/api/inference/jobs/:job_id/cancel',
      summary: `${cancel.summary} (same as DELETE)`,
    }),
  ];
}
