/**
 * What a ModelVersion should become in the cluster: a Deployment of its runtime and a Service in front
 * of it, or nothing (and why). Pure functions of the ModelVersion, its AIModel and the operator config:
 * nothing time-varying, so applying them again changes nothing.
 * @module
 */
import type {
  V1Container,
  V1ContainerPort,
  V1Deployment,
  V1DeploymentStrategy,
  V1PersistentVolumeClaim,
  V1Probe,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node';
import { type AIModel, type ModelVersion, quantityString } from '../../../crds/src/index.js';
import { Reason } from '../conditions.js';
import { stopBudgetSeconds } from '../drain.js';
import { MODEL_CACHE_PATH, MODEL_CACHE_VOLUME, type ModelCachePlan, modelCachePlan } from './model-cache.js';
import { childLabels, childName, selectorLabels } from './names.js';
import type { OperatorConfig } from './operator-config.js';
import { plainValues, runtimeEnv } from './runtime-env.js';
import { scheduling } from './scheduling.js';

export interface ServedVersion {
  readonly kind: 'serve';
  readonly deployment: V1Deployment;
  readonly service: V1Service;
  /** The model cache claim the operator creates for the version, when it creates one. */
  readonly claim?: V1PersistentVolumeClaim;
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

function probes(protocol: 'oip-v2' | 'openai', port: number, healthPath: string) {
  const check = protocol === 'oip-v2' ? { grpc: { port } } : { httpGet: { path: healthPath, port } };
  const probe = (periodSeconds: number, failureThreshold: number): V1Probe => ({
    ...check,
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  // Loading a large model can take minutes: the startup probe gives it 10 minutes before liveness applies.
  return { startupProbe: probe(5, 120), readinessProbe: probe(5, 3), livenessProbe: probe(10, 6) };
}

function container(
  mv: ModelVersion,
  config: OperatorConfig,
  protocol: 'oip-v2' | 'openai',
  port: number,
  cache: ModelCachePlan,
): V1Container {
  const resources = mv.spec.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (resources?.cpu !== undefined) requests.cpu = quantityString(resources.cpu);
  if (resources?.memory !== undefined) {
    requests.memory = quantityString(resources.memory);
    limits.memory = requests.memory;
  }
  if (resources?.gpu) {
    requests[config.gpuResource] = String(resources.gpu.count);
    limits[config.gpuResource] = String(resources.gpu.count);
  }
  return {
    name: 'runtime',
    image: mv.spec.runtime?.image ?? config.runtimeImage,
    imagePullPolicy: config.imagePullPolicy,
    ...(mv.spec.runtime?.args ? { args: [...mv.spec.runtime.args] } : {}),
    env:
      protocol === 'oip-v2'
        ? runtimeEnv(mv, config, {
            grpcPort: port,
            metricsPort: config.runtimeMetricsPort,
            cacheMaxBytes: cache.maxBytes,
          })
        : [...(mv.spec.runtime?.env ?? [])],
    ports: containerPorts(protocol, port, config),
    ...probes(protocol, port, mv.spec.runtime?.healthPath ?? '/health'),
    resources: {
      ...(Object.keys(requests).length ? { requests } : {}),
      ...(Object.keys(limits).length ? { limits } : {}),
    },
    volumeMounts: [{ name: MODEL_CACHE_VOLUME, mountPath: MODEL_CACHE_PATH }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

function containerPorts(
  protocol: 'oip-v2' | 'openai',
  port: number,
  config: OperatorConfig,
): V1ContainerPort[] {
  if (protocol === 'openai') return [{ name: 'http', containerPort: port, protocol: 'TCP' }];
  return [
    { name: 'grpc', containerPort: port, protocol: 'TCP' },
    { name: 'metrics', containerPort: config.runtimeMetricsPort, protocol: 'TCP' },
  ];
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
 * For Prometheus' annotation-based pod discovery (the common `kubernetes-pods` scrape job); with the Prometheus
 * Operator the chart's PodMonitor selects the same pods by their `metrics` port instead.
 */
function scrapeAnnotations(config: OperatorConfig): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(config.runtimeMetricsPort),
    'prometheus.io/path': '/metrics',
  };
}

/**
 * The rolling update's parameters are spelled out (Kubernetes' defaults) so the operator owns them under
 * server-side apply: switching to Recreate (a ReadWriteOnce cache claim) then drops them; left to defaulting,
 * nobody owns them and the API server refuses Recreate with rollingUpdate still set.
 */
function deploymentStrategy(type: ModelCachePlan['strategy']): V1DeploymentStrategy {
  return type === 'Recreate' ? { type } : { type, rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
}

/**
 * Long enough for the runtime's drain (delay + grace, spec.runtime.env included) plus a margin, and at least
 * the operator config's floor.
 */
function terminationGracePeriod(container: V1Container, config: OperatorConfig): number {
  const budget = Math.ceil(stopBudgetSeconds(plainValues(container.env ?? [])));
  return Math.max(config.terminationGracePeriodSeconds ?? 0, budget);
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
  const runtime = container(mv, config, protocol, port, cache);
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: mv.spec.replicas,
      revisionHistoryLimit: 3,
      strategy: deploymentStrategy(cache.strategy),
      selector: { matchLabels: selectorLabels(mv) },
      template: {
        metadata: { labels, ...(protocol === 'oip-v2' ? { annotations: scrapeAnnotations(config) } : {}) },
        spec: {
          containers: [runtime],
          volumes: [cache.volume],
          enableServiceLinks: false,
          terminationGracePeriodSeconds: terminationGracePeriod(runtime, config),
          ...scheduling(mv, config),
        },
      },
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
  return {
    kind: 'serve',
    deployment,
    service,
    ...(cache.claim ? { claim: cache.claim } : {}),
    endpoint: protocol === 'oip-v2' ? `${host}:${port}` : `http://${host}:${port}/v1`,
    protocol,
  };
}
