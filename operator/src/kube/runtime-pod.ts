/**
 * The pod template of a runtime Deployment: the runtime container (env, probes, ports, resources), the pod's
 * security context and volumes, where it may run, and the version's podTemplate merged in. Pure.
 * @module
 */
import type { V1Container, V1ContainerPort, V1PodTemplateSpec, V1Probe } from '@kubernetes/client-node';
import { type ModelVersion, quantityString } from '../../../crds/src/index.js';
import { stopBudgetSeconds } from '../drain.js';
import { MODEL_CACHE_PATH, MODEL_CACHE_VOLUME, type ModelCachePlan } from './model-cache.js';
import { childLabels } from './names.js';
import type { OperatorConfig } from './operator-config.js';
import { containerSecurityContext, podSecurityContext, tmpVolume } from './pod-security.js';
import { mergeAffinity, mergeTolerations, type PodCustomization } from './pod-template.js';
import { plainValues, runtimeEnv } from './runtime-env.js';
import { scheduling } from './scheduling.js';

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

function container({ mv, config, protocol, port, cache, custom }: PodInput): V1Container {
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
    env: [
      ...(protocol === 'oip-v2'
        ? runtimeEnv(mv, config, {
            grpcPort: port,
            metricsPort: config.runtimeMetricsPort,
            cacheMaxBytes: cache.maxBytes,
          })
        : (mv.spec.runtime?.env ?? [])),
      ...custom.env,
    ],
    ...(custom.envFrom ? { envFrom: custom.envFrom } : {}),
    ports: containerPorts(protocol, port, config),
    ...probes(protocol, port, mv.spec.runtime?.healthPath ?? '/health'),
    resources: {
      ...(Object.keys(requests).length ? { requests } : {}),
      ...(Object.keys(limits).length ? { limits } : {}),
    },
    volumeMounts: [{ name: MODEL_CACHE_VOLUME, mountPath: MODEL_CACHE_PATH }, tmpVolume(config).mount],
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: containerSecurityContext(config),
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
 * Long enough for the runtime's drain (delay + grace, spec.runtime.env included) plus a margin, and at least
 * the operator config's floor.
 */
function terminationGracePeriod(container: V1Container, config: OperatorConfig): number {
  const budget = Math.ceil(stopBudgetSeconds(plainValues(container.env ?? [])));
  return Math.max(config.terminationGracePeriodSeconds ?? 0, budget);
}

export interface PodInput {
  readonly mv: ModelVersion;
  readonly config: OperatorConfig;
  readonly protocol: 'oip-v2' | 'openai';
  readonly port: number;
  readonly cache: ModelCachePlan;
  readonly custom: PodCustomization;
}

export function runtimePodTemplate(input: PodInput): V1PodTemplateSpec {
  const { mv, config, protocol, cache, custom } = input;
  const runtime = container(input);
  const placed = scheduling(mv, config);
  const tolerations = mergeTolerations(placed.tolerations ?? [], custom.tolerations);
  const affinity = mergeAffinity(placed.affinity, mv.spec.podTemplate?.affinity);
  const annotations = { ...custom.annotations, ...(protocol === 'oip-v2' ? scrapeAnnotations(config) : {}) };
  return {
    metadata: {
      labels: { ...custom.labels, ...childLabels(mv) },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      containers: [runtime],
      volumes: [cache.volume, tmpVolume(config).volume],
      enableServiceLinks: false,
      // The runtime never calls the Kubernetes API; a token it does not need is one that can leak.
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(config),
      terminationGracePeriodSeconds: terminationGracePeriod(runtime, config),
      ...(custom.serviceAccountName ? { serviceAccountName: custom.serviceAccountName } : {}),
      ...(custom.priorityClassName ? { priorityClassName: custom.priorityClassName } : {}),
      ...(custom.imagePullSecrets ? { imagePullSecrets: custom.imagePullSecrets } : {}),
      ...(placed.nodeSelector ? { nodeSelector: placed.nodeSelector } : {}),
      ...(tolerations.length ? { tolerations } : {}),
      ...(affinity ? { affinity } : {}),
      ...(custom.topologySpreadConstraints
        ? { topologySpreadConstraints: custom.topologySpreadConstraints }
        : {}),
    },
  };
}
