/** Manifests for the operator's cluster tests. */
export const secret = (ns: string) => `
apiVersion: v1
kind: Secret
metadata: {name: openai-credentials, namespace: ${ns}}
stringData: {api-key: sk-test}
`;

export const version = (name: string, model: string, spec: string) => `
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${name}}
spec:
  model: ${model}
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;

export const model = (name: string, spec: string) => `
apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;

/** Conditions of a scheduled pod whose runtime is not ready (crash loop, fetching, loading). */
const notReady = () => [
  { type: 'PodScheduled', status: 'True' },
  { type: 'Initialized', status: 'True' },
  { type: 'ContainersReady', status: 'False' },
  { type: 'Ready', status: 'False' },
];

/** The runtime container's status as a kubelet reports it, not ready unless `fields` say otherwise. */
const runtimeContainer = <T extends object>(fields: T) => ({
  name: 'runtime',
  image: 'runtime',
  imageID: '',
  ready: false,
  started: false,
  restartCount: 0,
  ...fields,
});

/** Kubelet-reported pod states kwok does not simulate, written to a pod's status as a kubelet would. */
export const crashLoop = (exitCode: number, message: string) => ({
  status: {
    conditions: notReady(),
    containerStatuses: [
      runtimeContainer({
        restartCount: 4,
        state: {
          waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' },
        },
        lastState: { terminated: { exitCode, reason: 'Error', message } },
      }),
    ],
  },
});

export const imagePullBackOff = (image: string) => ({
  status: {
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
    containerStatuses: [
      runtimeContainer({
        image,
        state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } },
      }),
    ],
  },
});

/** A pod whose kubelet cannot build the container (e.g. a missing Secret of a secretKeyRef). */
export const createContainerConfigError = (message: string) => ({
  status: {
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False' },
    ],
    containerStatuses: [
      runtimeContainer({ state: { waiting: { reason: 'CreateContainerConfigError', message } } }),
    ],
  },
});

/** A runtime pod that runs but is not ready yet (fetching or loading its model), at `ip`. */
export const downloading = (ip: string) => ({
  status: {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: notReady(),
    containerStatuses: [
      runtimeContainer({
        started: true,
        state: { running: { startedAt: new Date('2026-01-01T00:00:00Z') } },
      }),
    ],
  },
});
