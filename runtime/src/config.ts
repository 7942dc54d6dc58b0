/**
 * The runtime's configuration, parsed once from the environment the operator sets on the pod or child process.
 *
 * `loadConfig(env)` is pure: tests pass their own env and never touch `process.env`. Errors name the variable
 * and what it allows; the result is deep-frozen so nothing downstream can drift from what was validated.
 * @module
 */
import { z } from 'zod';
import { blankToUndefined, boolVar, bytesVar, intVar, secondsVar, urlVar } from './config-env.js';
import { ONNX_DTYPES } from './engine/onnx-files.js';
import { ConfigError } from './errors.js';

/** Tasks a model can be configured to serve; `tokenize` is always available on top of the model's task. */
export const MODEL_TASKS = ['generate', 'classify', 'embed'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `auto` takes CUDA when onnxruntime can load it, else the CPU; `cuda` asks for it and falls back loudly. */
export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda'] as const;
export type ExecutionProviderChoice = (typeof EXECUTION_PROVIDERS)[number];

const positiveInt = (what: string) =>
  z
    .number({ error: `must be a positive integer (${what})` })
    .int({ error: `must be a positive integer (${what})` })
    .min(1, { error: `must be a positive integer (${what})` });

/** Known keys of the ModelVersion's free-form `configuration`; other keys pass through untouched. */
const modelConfigurationSchema = z.looseObject({
  task: z.enum(MODEL_TASKS, { error: `must be one of ${MODEL_TASKS.join(', ')}` }).optional(),
  defaultMaxTokens: positiveInt('new tokens when a request gives no max_tokens').optional(),
  intraOpNumThreads: positiveInt('onnxruntime intra-op threads').optional(),
  /** Which ONNX file of the artifact to open (transformers.js's names); absent: the first the directory holds. */
  dtype: z.enum(ONNX_DTYPES, { error: `must be one of ${ONNX_DTYPES.join(', ')}` }).optional(),
});

export type ModelConfiguration = z.infer<typeof modelConfigurationSchema>;

const configurationJson = z.string().transform((text, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be a JSON object (${(error as Error).message})` });
    return z.NEVER;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"task":"generate"}' });
    return z.NEVER;
  }
  return parsed;
});

export const envSchema = z.object({
  MODEL_NAME: z
    .string({ error: 'is required: the AIModel name this runtime serves' })
    .min(1, { error: 'must be a non-empty string' }),
  MODEL_VERSION: z
    .string({ error: 'is required: the ModelVersion this runtime serves' })
    .min(1, { error: 'must be a non-empty string' }),
  MODEL_ARTIFACT_URI: z
    .string({ error: 'is required: where the model artifact is, e.g. file:///models/story-writer-v1' })
    .min(1, { error: 'must be a non-empty URI' }),
  MODEL_ARTIFACT_SHA256: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^(sha256:)?[0-9a-fA-F]{64}$/, {
        error: 'must be 64 hex digits (optionally prefixed by "sha256:")',
      })
      .transform((digest) => digest.replace(/^sha256:/, '').toLowerCase())
      .optional(),
  ),
  MODEL_CONFIGURATION: z.preprocess(
    blankToUndefined,
    configurationJson.pipe(modelConfigurationSchema).optional(),
  ),
  GRPC_HOST: z.preprocess(blankToUndefined, z.string().default('0.0.0.0')),
  GRPC_PORT: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'must be an integer from 0 to 65535 (0 picks a free port)' })
      .int({ error: 'must be an integer from 0 to 65535 (0 picks a free port)' })
      .min(0, { error: 'must be an integer from 0 to 65535 (0 picks a free port)' })
      .max(65535, { error: 'must be an integer from 0 to 65535 (0 picks a free port)' })
      .default(8001),
  ),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
  TERMINATION_MESSAGE_PATH: z.preprocess(blankToUndefined, z.string().default('/dev/termination-log')),
  // Model store: where downloads land, how big the cache may grow, how hard to try.
  MODEL_CACHE_DIR: z.preprocess(blankToUndefined, z.string().optional()),
  MODEL_CACHE_MAX_BYTES: bytesVar('the model cache size limit').default(10 * 2 ** 30),
  DOWNLOAD_MAX_ATTEMPTS: intVar(1, 100, 'tries per file without progress').default(5),
  DOWNLOAD_STALL_SECONDS: secondsVar('a download with no bytes for this long is retried').default(30_000),
  TMPDIR: z.preprocess(blankToUndefined, z.string().default('/tmp')),
  // S3-compatible stores: the SDK's standard variables plus an endpoint of our own for MinIO and the like.
  S3_ENDPOINT: urlVar('an S3-compatible endpoint, e.g. http://minio.storage:9000').optional(),
  AWS_ENDPOINT_URL_S3: urlVar('the AWS SDK endpoint override for S3').optional(),
  AWS_ENDPOINT_URL: urlVar('the AWS SDK endpoint override').optional(),
  S3_FORCE_PATH_STYLE: boolVar('bucket in the path rather than the host name').optional(),
  AWS_REGION: z.preprocess(blankToUndefined, z.string().optional()),
  AWS_DEFAULT_REGION: z.preprocess(blankToUndefined, z.string().optional()),
  AWS_ACCESS_KEY_ID: z.preprocess(blankToUndefined, z.string().optional()),
  AWS_SECRET_ACCESS_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  AWS_SESSION_TOKEN: z.preprocess(blankToUndefined, z.string().optional()),
  // Engine.
  EXECUTION_PROVIDER: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.toLowerCase()) : v),
    z
      .enum(EXECUTION_PROVIDERS, { error: `must be one of ${EXECUTION_PROVIDERS.join(', ')}` })
      .default('auto'),
  ),
  CUDA_DEVICE_ID: intVar(0, 63, 'the GPU ordinal CUDA uses').default(0),
  INTRA_OP_THREADS: intVar(1, 1024, 'onnxruntime threads inside one operator').optional(),
  INTER_OP_THREADS: intVar(1, 1024, 'onnxruntime threads across operators').optional(),
  INTRA_OP_SPINNING: boolVar('onnxruntime threads spin between operators instead of sleeping').default(false),
  // Dynamic batching and back-pressure.
  MAX_BATCH_SIZE: intVar(1, 4096, 'rows per onnxruntime run; 1 turns batching off').default(32),
  MAX_BATCH_WAIT_MS: intVar(0, 10_000, 'how long a lone request waits for company').default(2),
  MAX_QUEUE_SIZE: intVar(1, 1_000_000, 'rows waiting before RESOURCE_EXHAUSTED').default(512),
  // Shutdown.
  DRAIN_GRACE_SECONDS: secondsVar('how long in-flight requests get after SIGTERM').default(10_000),
  DRAIN_DELAY_SECONDS: secondsVar('how long to keep serving after readiness turns false').default(0),
  // Metrics and HTTP probes.
  METRICS_HOST: z.preprocess(blankToUndefined, z.string().default('0.0.0.0')),
  METRICS_PORT: intVar(0, 65535, '0 picks a free port').default(8002),
});

/** The validated, frozen runtime configuration. */
export interface RuntimeConfig {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly artifactUri: string;
  /** Lower-case hex; absent means "do not verify". */
  readonly artifactSha256?: string;
  readonly configuration: Readonly<ModelConfiguration>;
  readonly grpcHost: string;
  readonly grpcPort: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly terminationMessagePath: string;
  readonly cache: { readonly dir: string; readonly maxBytes: number };
  readonly download: { readonly maxAttempts: number; readonly stallTimeoutMs: number };
  readonly s3: S3Config;
  readonly engine: EngineConfig;
  readonly batching: BatchingConfig;
  readonly drain: { readonly graceMs: number; readonly delayMs: number };
  readonly metrics: { readonly host: string; readonly port: number };
}

/** How to reach S3-compatible storage; absent credentials leave the SDK's default chain (IRSA, profiles). */
export interface S3Config {
  readonly region: string;
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

export interface EngineConfig {
  readonly executionProvider: ExecutionProviderChoice;
  readonly cudaDeviceId: number;
  readonly intraOpThreads?: number;
  readonly interOpThreads?: number;
  /** onnxruntime's pool threads spin-wait for work between operators (faster alone, dearer when shared); off unless true. */
  readonly spinning?: boolean;
}

export interface BatchingConfig {
  readonly maxBatchSize: number;
  readonly maxBatchWaitMs: number;
  readonly maxQueueSize: number;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Parses the runtime's environment.
 * @throws {ConfigError} listing every bad variable as `NAME: what is wrong`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RuntimeConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const parsed = result.data;
  if (Boolean(parsed.AWS_ACCESS_KEY_ID) !== Boolean(parsed.AWS_SECRET_ACCESS_KEY)) {
    throw new ConfigError([
      'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: must be set together (or both left unset for the SDK default chain)',
    ]);
  }
  return deepFreeze({
    modelName: parsed.MODEL_NAME,
    modelVersion: parsed.MODEL_VERSION,
    artifactUri: parsed.MODEL_ARTIFACT_URI,
    ...(parsed.MODEL_ARTIFACT_SHA256 ? { artifactSha256: parsed.MODEL_ARTIFACT_SHA256 } : {}),
    configuration: parsed.MODEL_CONFIGURATION ?? {},
    grpcHost: parsed.GRPC_HOST,
    grpcPort: parsed.GRPC_PORT,
    logLevel: parsed.LOG_LEVEL,
    terminationMessagePath: parsed.TERMINATION_MESSAGE_PATH,
    cache: {
      dir: parsed.MODEL_CACHE_DIR ?? `${parsed.TMPDIR.replace(/\/+$/, '')}/paissive-model-cache`,
      maxBytes: parsed.MODEL_CACHE_MAX_BYTES,
    },
    download: { maxAttempts: parsed.DOWNLOAD_MAX_ATTEMPTS, stallTimeoutMs: parsed.DOWNLOAD_STALL_SECONDS },
    s3: s3Config(parsed),
    engine: {
      executionProvider: parsed.EXECUTION_PROVIDER,
      cudaDeviceId: parsed.CUDA_DEVICE_ID,
      // The ModelVersion's own setting is more specific than the operator-wide variable.
      ...optional('intraOpThreads', parsed.MODEL_CONFIGURATION?.intraOpNumThreads ?? parsed.INTRA_OP_THREADS),
      ...optional('interOpThreads', parsed.INTER_OP_THREADS),
      spinning: parsed.INTRA_OP_SPINNING,
    },
    batching: {
      maxBatchSize: parsed.MAX_BATCH_SIZE,
      maxBatchWaitMs: parsed.MAX_BATCH_WAIT_MS,
      maxQueueSize: parsed.MAX_QUEUE_SIZE,
    },
    drain: { graceMs: parsed.DRAIN_GRACE_SECONDS, delayMs: parsed.DRAIN_DELAY_SECONDS },
    metrics: { host: parsed.METRICS_HOST, port: parsed.METRICS_PORT },
  });
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

function s3Config(parsed: z.infer<typeof envSchema>): S3Config {
  const endpoint = parsed.S3_ENDPOINT ?? parsed.AWS_ENDPOINT_URL_S3 ?? parsed.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = parsed;
  return {
    region: parsed.AWS_REGION ?? parsed.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...optional('endpoint', endpoint),
    // MinIO and most self-hosted stores have no wildcard DNS for virtual-hosted buckets.
    forcePathStyle: parsed.S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...optional('sessionToken', parsed.AWS_SESSION_TOKEN),
          },
        }
      : {}),
  };
}
