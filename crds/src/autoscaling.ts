/**
 * ModelVersion `spec.autoscaling`: the bounds and targets of the HorizontalPodAutoscaler the operator keeps for
 * the version. The HPA scales the ModelVersion through its scale subresource, so `spec.replicas` stays the one
 * replica count the operator reconciles.
 * @module
 */
import { z } from 'zod';
import { withInvariants } from './meta.js';

/**
 * A positive decimal quantity without leading zeros (no binary suffix, no exponent): a metric's average is a count or a rate, never bytes in Ki,
 * and the decimal forms are the ones autoscaler.ts writes exactly as the API server stores them.
 */
export const AVERAGE_VALUE = /^([1-9][0-9]*(\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*)(m|k|M|G|T)?$/;
const averageValueMessage =
  'autoscaling.metrics[].averageValue must be a positive number or decimal quantity such as 500m, 4 or 1.5k';

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
    averageValue: z
      .union(
        [
          z.number().int(averageValueMessage).min(1, averageValueMessage),
          z.string().regex(AVERAGE_VALUE, averageValueMessage),
        ],
        { error: averageValueMessage },
      )
      .meta({ 'x-kubernetes-int-or-string': true })
      .describe(
        'Target value of the metric averaged over the runtime pods (a decimal quantity: 4, 500m, 1.5k)',
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
