/**
 * ModelVersion `spec.autoscaling`: the bounds and targets of the HorizontalPodAutoscaler the operator keeps for
 * the version. The HPA scales the ModelVersion through its scale subresource, so `spec.replicas` stays the one
 * replica count the operator reconciles.
 * @module
 */
import { z } from 'zod';
import { withInvariants } from './meta.js';
import { quantity } from './quantity.js';

/** A Prometheus metric name as a custom metrics adapter serves it (e.g. runtime_queue_depth). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export const podsMetric = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(METRIC_NAME, 'autoscaling.metrics[].name must be a metric name such as runtime_queue_depth')
      .describe(
        'Per-pod metric from the custom metrics API (Prometheus Adapter, KEDA), e.g. runtime_queue_depth',
      ),
    averageValue: quantity('autoscaling.metrics[].averageValue').describe(
      'Target value of the metric averaged over the runtime pods (a quantity: 4, 500m)',
    ),
  })
  .describe('A pods metric of the HPA: scale so that its average per pod stays at averageValue');
export type PodsMetric = z.infer<typeof podsMetric>;

export const autoscaling = withInvariants(
  z.object({
    minReplicas: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .describe('Fewest runtime pods the HPA scales the version to (at least 1)'),
    maxReplicas: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .describe('Most runtime pods the HPA scales the version to (at least minReplicas)'),
    targetCPUUtilization: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Target average CPU use in percent of the CPU request (needs resources.cpu and a metrics API)',
      ),
    metrics: z
      .array(podsMetric)
      .max(8)
      .optional()
      .describe('Per-pod custom metrics to scale on, each with its average target'),
  }),
  [
    {
      rule: 'self.minReplicas <= self.maxReplicas',
      message: 'autoscaling.minReplicas must not be above autoscaling.maxReplicas',
      fieldPath: '.minReplicas',
      check: (a) => a.minReplicas <= a.maxReplicas,
    },
  ],
);
export type Autoscaling = z.infer<typeof autoscaling>;
