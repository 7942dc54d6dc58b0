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

/** Kubelet-reported pod states kwok does not simulate, written to a pod's status as a kubelet would. */
export const crashLoop = (exitCode: number, message: string) => ({
  status: {
    conditions: [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Initialized', status: 'True' },
      { type: 'ContainersReady', status: 'False' },
      { type: 'Ready', status: 'False' },
    ],
    containerStatuses: [
      {
        name: 'runtime',
        image: 'runtime',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 4,
        state: {
          waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' },
        },
        lastState: { terminated: { exitCode, reason: 'Error', message } },
      },
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
      {
        name: 'runtime',
        image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } },
      },
    ],
  },
});
