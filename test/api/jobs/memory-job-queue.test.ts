import { pino } from 'pino';
import { MemoryJobQueue } from '../../../api/src/jobs/memory-job-queue.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { jobQueueContract } from './job-queue.contract.js';

describe('api/jobs/memory-job-queue', () => {
  jobQueueContract(
    async (run, options) =>
      new MemoryJobQueue({
        run,
        ...options,
        logger: pino({ level: 'silent' }),
        metrics: createMetrics({ defaultMetrics: false }),
      }),
  );
});
