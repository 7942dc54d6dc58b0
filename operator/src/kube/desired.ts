/**
 * What a ModelVersion should become in the cluster: a Deployment of its runtime and a Service in front
 * of it, or nothing (and why). Pure functions of the ModelVersion, its AIModel and the operator config:
 * nothing time-varying, so applying them again changes nothing.
 * @module
 */
import type { V1Container, V1Deployment, V1EnvVar, V1Probe, V1Service } from '@kubernetes/client-node';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { Reason } from '../conditions.js';
import { childLabels, childName, selectorLabels } from './names.js';
import type { OperatorConfig } from './operator-config.js';
import { scheduling } from './scheduling.js';

export const MODEL_CACHE_PATH = '/var/cache/paissive/models';

export interface ServedVersion {
  readonly kind: 'serve';
  readonly deployment: V1Deployment;
  readonly service: V1Service;
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

function runtimeEnv(mv: ModelVersion, port: number): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'MODEL_NAME', value: mv.spec.model },
    { name: 'MODEL_VERSION', value: mv.spec.version },
    { name: 'MODEL_ARTIFACT_URI', value: mv.spec.artifact?.uri ?? '' },
  ];
  if (mv.spec.artifact?.sha256) env.push({ name: 'MODEL_ARTIFACT_SHA256', value: mv.spec.artifact.sha256 });
  env.push(
    { name: 'MODEL_CONFIGURATION', value: JSON.stringify(mv.spec.configuration ?? {}) },
    { name: 'GRPC_HOST', value: '0.0.0.0' },
    { name: 'GRPC_PORT', value: String(port) },
    { name: 'MODEL_CACHE_DIR', value: MODEL_CACHE_PATH },
  );
  return [...env, ...(mv.spec.runtime?.env ?? [])];
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
): V1Container {
  const resources = mv.spec.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (resources?.cpu) requests.cpu = resources.cpu;
  if (resources?.memory) {
    requests.memory = resources.memory;
    limits.memory = resources.memory;
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
    env: protocol === 'oip-v2' ? runtimeEnv(mv, port) : [...(mv.spec.runtime?.env ?? [])],
    ports: [{ name: protocol === 'oip-v2' ? 'grpc' : 'http', containerPort: port, protocol: 'TCP' }],
    ...probes(protocol, port, mv.spec.runtime?.healthPath ?? '/health'),
    resources: {
      ...(Object.keys(requests).length ? { requests } : {}),
      ...(Object.keys(limits).length ? { limits } : {}),
    },
    volumeMounts: [{ name: 'model-cache', mountPath: MODEL_CACHE_PATH }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
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
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: mv.spec.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(mv) },
      template: {
        metadata: { labels },
        spec: {
          containers: [container(mv, config, protocol, port)],
          volumes: [
            {
              name: 'model-cache',
              emptyDir: config.modelCacheSizeLimit ? { sizeLimit: config.modelCacheSizeLimit } : {},
            },
          ],
          enableServiceLinks: false,
          terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
          ...scheduling(mv, config),
        },
      },
    },
  };
  const portName = protocol === 'oip-v2' ? 'grpc' : 'http';
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      // Headless for gRPC: the router resolves every pod and balances itself (one HTTP/2 connection to a
      // ClusterIP would pin one pod). Plain HTTP servers sit behind a ClusterIP.
      ...(protocol === 'oip-v2' ? { clusterIP: 'None' } : {}),
      selector: selectorLabels(mv),
      ports: [{ name: portName, port, targetPort: port, protocol: 'TCP', appProtocol: portName }],
    },
  };
  const host = `${name}.${namespace}.svc`;
  return {
    kind: 'serve',
    deployment,
    service,
    endpoint: protocol === 'oip-v2' ? `${host}:${port}` : `http://${host}:${port}/v1`,
    protocol,
  };
}
