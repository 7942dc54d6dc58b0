/**
 * ModelVersion: one deployable version of an AIModel (artifact, runtime configuration, replicas, GPUs).
 * @module
 */
import { z } from 'zod';
import { autoscaling } from './autoscaling.js';
import {
  API_VERSION,
  conditions,
  dnsLabel,
  dnsSubdomain,
  immutable,
  objectMeta,
  observedGeneration,
  withInvariants,
} from './meta.js';
import { podTemplate } from './pod-template.js';
import { quantity } from './quantity.js';

export const MODELVERSION_KIND = 'ModelVersion';
export const MODELVERSION_PLURAL = 'modelversions';

/** file:///abs/dir, file:relative/dir (local mode, relative to the manifest), https://, s3:// */
export const ARTIFACT_URI = /^(file:|https?:\/\/|s3:\/\/)\S+$/;

/** The standard AWS variable names; a Secret that uses them needs no key names in the reference. */
export const S3_SECRET_KEYS = {
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
} as const;

const secretKey = z
  .string()
  .regex(/^[-._a-zA-Z0-9]+$/, 'a Secret key')
  .max(253);

export const credentialsSecretRef = z
  .object({
    name: dnsSubdomain('credentialsSecret.name').describe('Secret in the ModelVersion namespace'),
    accessKeyIdKey: secretKey
      .optional()
      .describe(`Key of the access key id (default ${S3_SECRET_KEYS.accessKeyId})`),
    secretAccessKeyKey: secretKey
      .optional()
      .describe(`Key of the secret access key (default ${S3_SECRET_KEYS.secretAccessKey})`),
    sessionTokenKey: secretKey
      .optional()
      .describe(`Key of an optional session token (default ${S3_SECRET_KEYS.sessionToken}; may be absent)`),
  })
  .describe('S3 credentials, passed to the runtime as secretKeyRef environment variables (never copied)');
export type CredentialsSecretRef = z.infer<typeof credentialsSecretRef>;

export const artifact = withInvariants(
  z.object({
    uri: z
      .string()
      .max(2048)
      .regex(ARTIFACT_URI, 'artifact.uri must start with file:, https://, http:// or s3://')
      .describe(
        'Where the runtime fetches the model: file: (local mode), https://, http:// or s3:// (an archive or a directory)',
      ),
    sha256: z
      .string()
      .regex(/^[a-f0-9]{64}$/, 'artifact.sha256 must be 64 lowercase hex digits')
      .optional()
      .describe('sha256 of an archive, or of the sha256sum manifest of a directory (docs/models.md)'),
    credentialsSecret: credentialsSecretRef.optional(),
  }),
  [
    {
      rule: "!has(self.credentialsSecret) || self.uri.startsWith('s3://')",
      message: 'artifact.credentialsSecret is for s3:// artifacts only',
      fieldPath: '.credentialsSecret',
      check: (a) => a.credentialsSecret === undefined || a.uri.startsWith('s3://'),
    },
  ],
);
export type Artifact = z.infer<typeof artifact>;

export const gpu = z.object({
  count: z.number().int().min(1).max(64).describe('nvidia.com/gpu per replica'),
  type: z
    .string()
    .max(63)
    .optional()
    .describe('GPU profile from the operator config (e.g. nvidia-l4) that selects the nodes'),
});

export const runtimeSpec = withInvariants(
  z.object({
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Container image; defaults to the operator's runtime image (protocol oip-v2)"),
    protocol: z
      .enum(['oip-v2', 'openai'])
      .default('oip-v2')
      .describe(
        'oip-v2: our runtime or any Open Inference Protocol server; openai: a self-hosted OpenAI-compatible server',
      ),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('Port the server listens on (default 8001 for oip-v2, 8000 for openai)'),
    args: z.array(z.string().max(4096)).max(64).optional().describe('Container arguments (e.g. vLLM flags)'),
    env: z
      .array(
        z.object({
          name: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env name')
            .describe('Environment variable name'),
          value: z
            .string()
            .max(8192)
            .describe('Its value (plain text: use artifact.credentialsSecret for S3 keys)'),
        }),
      )
      .max(64)
      .optional()
      .describe('Extra environment variables of the runtime container'),
    healthPath: z
      .string()
      .regex(/^\//, 'healthPath must start with /')
      .max(256)
      .optional()
      .describe('HTTP readiness path of an openai server (default /health)'),
  }),
  [
    {
      rule: "self.protocol != 'openai' || has(self.image)",
      message: 'runtime.protocol openai needs runtime.image (e.g. a vLLM, TGI or Ollama image)',
      check: (r) => r.protocol !== 'openai' || r.image !== undefined,
    },
  ],
);
export type RuntimeSpec = z.infer<typeof runtimeSpec>;

export const resources = z
  .object({
    gpu: gpu.optional().describe('GPUs per replica; absent: the runtime runs on CPU'),
    cpu: quantity('resources.cpu')
      .optional()
      .describe('CPU request per replica: cores as an integer (2) or a quantity (500m)'),
    memory: quantity('resources.memory')
      .optional()
      .describe('Memory request and limit per replica: bytes as an integer or a quantity (4Gi)'),
  })
  .describe('Compute per runtime replica');
export type Resources = z.infer<typeof resources>;

export const CACHE_ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany'] as const;

export const cacheClaim = withInvariants(
  z.object({
    claimName: dnsSubdomain('cache.persistentVolumeClaim.claimName')
      .optional()
      .describe('An existing claim in the namespace; absent: the operator creates <name>-model-cache'),
    storageClassName: z
      .string()
      .max(253)
      .optional()
      .describe('Storage class of the claim the operator creates (absent: the cluster default)'),
    accessMode: z
      .enum(CACHE_ACCESS_MODES)
      .default('ReadWriteOnce')
      .describe(
        'Of the created claim, or what the existing one allows. ReadWriteOnce/ReadWriteOncePod: one replica, replaced with Recreate; ReadWriteMany: replicas share the cache',
      ),
  }),
  [
    {
      rule: '!has(self.claimName) || !has(self.storageClassName)',
      message: 'storageClassName is for the claim the operator creates, not for an existing claimName',
      fieldPath: '.storageClassName',
      check: (c) => c.claimName === undefined || c.storageClassName === undefined,
    },
  ],
);
export type CacheClaim = z.infer<typeof cacheClaim>;

export const modelCache = z
  .object({
    sizeLimit: quantity('cache.sizeLimit')
      .optional()
      .describe(
        'Bound of the model cache (MODEL_CACHE_MAX_BYTES), the emptyDir sizeLimit, the created claim size',
      ),
    persistentVolumeClaim: cacheClaim
      .optional()
      .describe(
        'Keep the cache on a PVC (survives the pod); absent: an emptyDir (the operator config modelCacheClaim is for versions without spec.cache)',
      ),
  })
  .describe('Where runtime pods keep fetched artifacts (mounted at MODEL_CACHE_DIR)');
export type ModelCache = z.infer<typeof modelCache>;

const specObject = z.object({
  model: immutable(dnsLabel('spec.model'), 'spec.model').describe('Name of the AIModel this is a version of'),
  version: immutable(
    z
      .string()
      .min(1)
      .max(32)
      .regex(
        /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
        'version must be lowercase letters, digits, . and -, e.g. v2 or 1.3.0',
      ),
    'spec.version',
  ).describe('Version name (e.g. v2 or 1.3.0), unique within the model; requests name it'),
  default: z.boolean().default(false).describe('Requests that name no version get this one'),
  deprecated: z.boolean().default(false).describe('Served only to requests that name it'),
  artifact: artifact.optional().describe('Model files; required for provider onnx'),
  configuration: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ 'x-kubernetes-preserve-unknown-fields': true })
    .describe(
      'Free-form runtime settings passed to the runtime (e.g. task, defaultMaxTokens, dtype: the ONNX file to open, see docs/models.md)',
    ),
  replicas: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(1)
    .describe('Runtime pods; the scale subresource sets it (kubectl scale mv, a HorizontalPodAutoscaler)'),
  autoscaling: autoscaling
    .optional()
    .describe(
      'A HorizontalPodAutoscaler the operator keeps for the version; it sets replicas (leave replicas out of manifests)',
    ),
  resources: resources.optional(),
  runtime: runtimeSpec
    .optional()
    .describe('How the version is served in a cluster (image, protocol, port, args)'),
  cache: modelCache.optional(),
  podTemplate: podTemplate.optional(),
});

export const modelVersionSpec = withInvariants(specObject, [
  {
    rule: '!(self.default && self.deprecated)',
    message: 'a deprecated version cannot be the default',
    check: (s) => !(s.default && s.deprecated),
  },
  {
    rule: "self.replicas <= 1 || !has(self.cache) || !has(self.cache.persistentVolumeClaim) || self.cache.persistentVolumeClaim.accessMode == 'ReadWriteMany'",
    message:
      'a ReadWriteOnce cache claim serves one replica: set cache.persistentVolumeClaim.accessMode ReadWriteMany (a storage class that supports it) or drop the claim (emptyDir per pod)',
    fieldPath: '.cache.persistentVolumeClaim.accessMode',
    check: (s) =>
      s.replicas <= 1 ||
      !s.cache?.persistentVolumeClaim ||
      s.cache.persistentVolumeClaim.accessMode === 'ReadWriteMany',
  },
  {
    rule: "!has(self.autoscaling) || self.autoscaling.maxReplicas <= 1 || !has(self.cache) || !has(self.cache.persistentVolumeClaim) || self.cache.persistentVolumeClaim.accessMode == 'ReadWriteMany'",
    message:
      'autoscaling above one replica needs a ReadWriteMany cache claim (cache.persistentVolumeClaim.accessMode) or no claim',
    fieldPath: '.cache.persistentVolumeClaim.accessMode',
    check: (s) =>
      !s.autoscaling ||
      s.autoscaling.maxReplicas <= 1 ||
      !s.cache?.persistentVolumeClaim ||
      s.cache.persistentVolumeClaim.accessMode === 'ReadWriteMany',
  },
]);
export type ModelVersionSpec = z.infer<typeof modelVersionSpec>;

export const artifactStatus = z
  .strictObject({
    state: z
      .enum(['Pending', 'Downloading', 'Verifying', 'Ready', 'Invalid', 'Unavailable'])
      .optional()
      .describe(
        'Of the replica furthest from serving; Invalid: refused (fix the artifact); Unavailable: the store is unreachable (retried)',
      ),
    digest: z.string().optional().describe('sha256 the runtime computed for the artifact it loaded'),
    bytesTotal: z.number().int().min(0).optional().describe('0 or absent while the store has not said'),
    bytesDownloaded: z.number().int().min(0).optional().describe('Bytes fetched so far'),
    message: z.string().max(4096).optional().describe('What the runtime last said about the artifact'),
  })
  .describe('Fetch and verification of the artifact, from the runtime pods');

export const modelVersionStatus = z.strictObject({
  observedGeneration,
  conditions: conditions.optional(),
  replicas: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "Runtime pods that exist now, ready or not (the Deployment's status.replicas); the scale subresource reads it",
    ),
  selector: z
    .string()
    .max(1024)
    .optional()
    .describe(
      'Label selector of the runtime pods, for the scale subresource (a HorizontalPodAutoscaler reads it)',
    ),
  readyReplicas: z.number().int().min(0).optional().describe('Runtime pods that pass their readiness probe'),
  ready: z.string().optional().describe('Ready replicas out of desired, e.g. 1/2'),
  endpoint: z
    .string()
    .optional()
    .describe('Where the router reaches this version (host:port or a DNS target)'),
  protocol: z.enum(['oip-v2', 'openai']).optional().describe('How the router talks to the endpoint'),
  restarts: z.number().int().min(0).optional().describe('Container restarts summed over the runtime pods'),
  artifact: artifactStatus.optional(),
});
export type ModelVersionStatus = z.infer<typeof modelVersionStatus>;

const resourceObject = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(MODELVERSION_KIND),
  metadata: objectMeta,
  spec: modelVersionSpec.describe('One deployable version: artifact, runtime, replicas and resources'),
  status: modelVersionStatus
    .optional()
    .describe('Written by the operator from the runtime Deployment and pods'),
});

export const modelVersion = resourceObject;
export type ModelVersion = z.infer<typeof modelVersion>;
