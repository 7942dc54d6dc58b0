/**
 * What a ModelVersion should become in the cluster: a Deployment of its runtime and a Service in front
 * of it, or nothing (and why). Pure functions of the ModelVersion, its AIModel and the operator config:
 * nothing time-varying, so applying them again changes nothing.
 * @module
 */
import type {
  V1Deployment,
  V1DeploymentStrategy,
  V1PersistentVolumeClaim,
  V1PodDisruptionBudget,
  V1Service,
  V1ServicePort,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { Reason } from '../conditions.js';
import { desiredAutoscaler } from './autoscaler.js';
import { desiredDisruptionBudget } from './disruption.js';
import { type ModelCachePlan, modelCachePlan } from './model-cache.js';
import { childLabels, childName, selectorLabels } from './names.js';
import type { OperatorConfig } from './operator-config.js';
import { podCustomization } from './pod-template.js';
import { runtimePodTemplate } from './runtime-pod.js';

export interface ServedVersion {
  readonly kind: 'serve';
  readonly deployment: V1Deployment;
  readonly service: V1Service;
  /** The model cache claim the operator creates for the version, when it creates one. */
  readonly claim?: V1PersistentVolumeClaim;
  /** With more than one replica; absent: the operator deletes the one it made. */
  readonly disruptionBudget?: V1PodDisruptionBudget;
  /** With spec.autoscaling; absent: the operator deletes the one it made. */
  readonly autoscaler?: V2HorizontalPodAutoscaler;
  /** What the router dials once pods are ready. */
  readonly endpoint: string;
  readonly protocol: 'oip-v2' | 'openai';
}

export interface UnservedVersion {
  readonly kind: 'none';
  readonly reason: Reason;
  readonly message: string;
  /** False when having no runtime is the intended state (an external endpoint). */
  readonly problem: boolean;
}

export type DesiredVersion = ServedVersion | UnservedVersion;

function ownerReference(mv: ModelVersion) {
  return {
    apiVersion: mv.apiVersion,
    kind: mv.kind,
    name: mv.metadata.name,
    uid: mv.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function servicePorts(protocol: 'oip-v2' | 'openai', port: number, config: OperatorConfig): V1ServicePort[] {
  const named = (name: string, p: number, appProtocol: string): V1ServicePort => ({
    name,
    port: p,
    targetPort: p,
    protocol: 'TCP',
    appProtocol,
  });
  if (protocol === 'openai') return [named('http', port, 'http')];
  return [named('grpc', port, 'grpc'), named('metrics', config.runtimeMetricsPort, 'http')];
}

/**
 * The rolling update's parameters are spelled out (Kubernetes' defaults) so the operator owns them under
 * server-side apply: switching to Recreate (a ReadWriteOnce cache claim) then drops them; left to defaulting,
 * nobody owns them and the API server refuses Recreate with rollingUpdate still set.
 */
function deploymentStrategy(type: ModelCachePlan['strategy']): V1DeploymentStrategy {
  return type === 'Recreate' ? { type } : { type, rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
}

function why(
  mv: ModelVersion,
  model: AIModel | undefined,
  config: OperatorConfig,
): UnservedVersion | undefined {
  const none = (reason: Reason, message: string, problem = true): UnservedVersion => ({
    kind: 'none',
    reason,
    message,
    problem,
  });
  if (!model) return none(Reason.ModelNotFound, `AIModel ${mv.spec.model} does not exist in this namespace`);
  const protocol = mv.spec.runtime?.protocol ?? 'oip-v2';
  if (model.spec.provider === 'openai' && !mv.spec.runtime?.image) {
    return none(Reason.ExternalEndpoint, `Served by ${model.spec.endpoint?.baseURL}`, false);
  }
  if (model.spec.provider === 'openai' && protocol !== 'openai') {
    return none(
      Reason.ConfigInvalid,
      'Versions of an openai model run an OpenAI-compatible server: set runtime.protocol openai',
    );
  }
  if (model.spec.provider === 'onnx' && protocol !== 'oip-v2') {
    return none(
      Reason.ConfigInvalid,
      'Versions of an onnx model run the Open Inference Protocol runtime (runtime.protocol oip-v2)',
    );
  }
  if (model.spec.provider === 'onnx' && !mv.spec.artifact) {
    return none(Reason.ArtifactInvalid, 'onnx versions need spec.artifact.uri');
  }
  const type =
    mv.spec.resources?.gpu?.type ?? (mv.spec.resources?.gpu ? config.defaultGpuProfile : undefined);
  if (type && !config.gpuProfiles[type]) {
    const known = Object.keys(config.gpuProfiles).join(', ');
    return none(
      Reason.UnknownGPUProfile,
      `GPU type ${type} is not in the operator's GPU profiles (${known})`,
    );
  }
  return undefined;
}

export function desiredVersion(
  mv: ModelVersion,
  model: AIModel | undefined,
  config: OperatorConfig,
): DesiredVersion {
  const unserved = why(mv, model, config);
  if (unserved) return unserved;
  const protocol = mv.spec.runtime?.protocol ?? 'oip-v2';
  const port = mv.spec.runtime?.port ?? (protocol === 'oip-v2' ? config.runtimePort : config.openaiPort);
  const name = childName(mv);
  const namespace = mv.metadata.namespace as string;
  const labels = childLabels(mv);
  const metadata = { name, namespace, labels, ownerReferences: [ownerReference(mv)] };
  const cache = modelCachePlan(mv, config, [ownerReference(mv)]);
  if ('problem' in cache) {
    return { kind: 'none', reason: Reason.ConfigInvalid, message: cache.problem, problem: true };
  }
  const custom = podCustomization(mv, config);
  if ('problem' in custom) {
    return { kind: 'none', reason: Reason.ConfigInvalid, message: custom.problem, problem: true };
  }
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: mv.spec.replicas,
      revisionHistoryLimit: 3,
      strategy: deploymentStrategy(cache.strategy),
      selector: { matchLabels: selectorLabels(mv) },
      template: runtimePodTemplate({ mv, config, protocol, port, cache, custom }),
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      // Headless for gRPC: the router resolves every pod and balances itself (one HTTP/2 connection to a
      // ClusterIP would pin one pod). Plain HTTP servers sit behind a ClusterIP.
      ...(protocol === 'oip-v2' ? { clusterIP: 'None' } : {}),
      selector: selectorLabels(mv),
      ports: servicePorts(protocol, port, config),
    },
  };
  const host = `${name}.${namespace}.svc`;
  const disruptionBudget = desiredDisruptionBudget(mv, ownerReference(mv));
  const autoscaler = desiredAutoscaler(mv, ownerReference(mv));
  return {
    kind: 'serve',
    deployment,
    service,
    ...(cache.claim ? { claim: cache.claim } : {}),
    ...(disruptionBudget ? { disruptionBudget } : {}),
    ...(autoscaler ? { autoscaler } : {}),
    endpoint: protocol === 'oip-v2' ? `${host}:${port}` : `http://${host}:${port}/v1`,
    protocol,
  };
}
