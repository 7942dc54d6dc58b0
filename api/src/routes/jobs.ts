/**
 * Batch jobs: submit many inference requests at once, then poll for progress and results.
 * @module
 */
import type { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { JobNotFoundError, PayloadTooLargeError } from '../errors.js';
import { type AnyRoute, route } from '../http/route.js';
import type { InferenceService } from '../inference/inference-service.js';
import { analyzeBody, analyzeOperation, routing, textBody, textOperation } from '../inference/rest.js';
import type { ItemRunner } from '../jobs/job-queue.js';
import { type BatchRequest, batchAccepted, batchRequest, jobPageQuery, jobView } from '../schemas/jobs.js';

/** Runs a batch item through the same routing, fallbacks, cache and metering as a live request. */
export function batchItemRunner(inference: InferenceService): ItemRunner {
  return async (item, { requestId }) => {
    const ctx = { requestId, caller: 'anonymous' };
    if (item.type === 'text') return textBody(await inference.run(textOperation(item), routing(item), ctx));
    return analyzeBody(item.task, await inference.run(analyzeOperation(item), routing(item), ctx));
  };
}

export function jobRoutes(deps: AppDeps): AnyRoute[] {
  const notFound = (id: string): JobNotFoundError =>
    new JobNotFoundError(`No job ${id} (it may have expired)`, { job_id: id });
  const cancel = {
    summary: 'Cancel the items of a job that have not started',
    tag: 'jobs',
    responses: { 200: { description: 'The job after cancellation', schema: jobView } },
    handler: async ({ params }: { params: Readonly<Record<string, string>> }) => {
      const id = params.job_id as string;
      const job = await deps.jobs.cancel(id);
      if (!job) throw notFound(id);
      return { body: job };
    },
  };
  return [
    route<BatchRequest>({
      method: 'post',
      path: '/api/inference/batch',
      summary: 'Submit a batch of text/analyze requests; answered at once with a job id',
      tag: 'jobs',
      body: batchRequest,
      responses: { 202: { description: 'Accepted; poll status_url', schema: batchAccepted } },
      handler: async ({ body }) => {
        const max = deps.config.BATCH_MAX_ITEMS;
        if (body.requests.length > max) {
          throw new PayloadTooLargeError(
            `A batch holds at most ${max} requests (got ${body.requests.length})`,
            {
              max_items: max,
            },
          );
        }
        const job = await deps.jobs.submit(body.requests);
        const statusUrl = `/api/inference/jobs/${job.job_id}`;
        return {
          status: 202,
          body: { job_id: job.job_id, status: job.status, status_url: statusUrl, total: job.progress.total },
          headers: { location: statusUrl },
        };
      },
    }),
    route<undefined, z.infer<typeof jobPageQuery>>({
      method: 'get',
      path: '/api/inference/jobs/:job_id',
      summary: 'Job status, progress and results in request order (paged with offset/limit)',
      tag: 'jobs',
      query: jobPageQuery,
      responses: { 200: { description: 'The job', schema: jobView } },
      handler: async ({ params, query }) => {
        const id = params.job_id as string;
        const job = await deps.jobs.get(id, query);
        if (!job) throw notFound(id);
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
