/**
 * Where a ModelVersion's runtime runs: the seam between the controllers (which decide when to look) and a
 * platform (which runs the runtime). Two implementations share one contract suite
 * (test/operator/target-contract.ts): the Kubernetes target (a Deployment, a Service and their companions,
 * kube/kube-target.ts) and the local target (child processes, local/local-target.ts).
 * @module
 */
import type { AIModel, ModelVersion, ModelVersionStatus } from '../../crds/src/index.js';

export interface RuntimeTarget {
  /**
   * Makes the version's runtime match its spec and its model's: starts, scales or replaces it, or removes it
   * when the version wants none (its model is gone, it is scaled to zero, an external endpoint serves it).
   * Idempotent: a second call with the same input changes nothing. Throws when the platform refused.
   */
  apply(version: ModelVersion, model: AIModel | undefined): Promise<void>;
  /** The version's status as the platform shows it now: conditions, replicas, endpoint, artifact. */
  status(version: ModelVersion, model: AIModel | undefined, now: Date): ModelVersionStatus;
  /** Stops and removes whatever runs the version. Idempotent. */
  remove(version: ModelVersion): Promise<void>;
}
