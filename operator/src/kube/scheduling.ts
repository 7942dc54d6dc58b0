/**
 * Where a runtime pod may run: GPU versions go to nodes of their GPU profile and tolerate the GPU taint;
 * versions without GPUs are kept off GPU nodes even where those are not tainted. Pure.
 * @module
 */
import type { V1Affinity, V1Toleration } from '@kubernetes/client-node';
import type { ModelVersion } from '../../../crds/src/index.js';
import type { OperatorConfig } from './operator-config.js';

export interface Scheduling {
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  affinity?: V1Affinity;
}

export function scheduling(mv: ModelVersion, config: OperatorConfig): Scheduling {
  const gpu = mv.spec.resources?.gpu;
  if (!gpu) {
    return {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: config.gpuNodeLabel, operator: 'DoesNotExist' }] },
            ],
          },
        },
      },
    };
  }
  const type = gpu.type ?? config.defaultGpuProfile;
  const profile = type ? config.gpuProfiles[type] : undefined;
  return {
    ...(profile ? { nodeSelector: { ...profile.nodeSelector } } : {}),
    tolerations: [...config.gpuTolerations, ...(profile?.tolerations ?? [])] as V1Toleration[],
  };
}
