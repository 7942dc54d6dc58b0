import { expect } from 'chai';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { createOperatorMetrics } from '../../../operator/src/metrics.js';

// The router's and the operator's process metrics, named as the runtime's and as every Prometheus client
// names them: a prefix once doubled into router_process_process_cpu_seconds_total.
describe('process metrics of the router and the operator', () => {
  for (const [name, registry] of [
    ['router', () => createMetrics().registry],
    ['operator', () => createOperatorMetrics().registry],
  ] as const) {
    it(`${name}: process_cpu_seconds_total and nodejs_* without a prefix, and no *_process_* name`, async () => {
      const text = await registry().metrics();
      expect(text).to.match(/^process_cpu_seconds_total \d/m);
      expect(text).to.match(/^process_resident_memory_bytes \d/m);
      expect(text).to.match(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
      expect(text).not.to.match(/^\w+_process_\w+/m);
    });
  }
});
