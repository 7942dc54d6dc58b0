/** Polling a job through the HTTP API until it has finished. */
import { eventually } from '../../support/eventually.js';

type Get = (path: string) => Promise<{ status: number; body: any }>;

export const FINISHED = ['completed', 'failed', 'cancelled'];

/** The job at `statusUrl` (with `query`, e.g. `?limit=1000`) once it has finished. */
export function untilFinished(get: Get, statusUrl: string, query = '', timeoutMs = 60_000): Promise<any> {
  return eventually(
    async () => {
      const res = await get(`${statusUrl}${query}`);
      return res.status === 200 && FINISHED.includes(res.body.status) ? res.body : undefined;
    },
    `job ${statusUrl} to finish`,
    timeoutMs,
  );
}
