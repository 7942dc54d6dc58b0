/**
 * `--help` of the runtime: one line per variable of its config schema (typed by its keys, so none is missed).
 * @module
 */
import type { Usage } from './cli.js';
import { envSchema } from './config.js';
import { EXIT_CODES } from './lifecycle.js';

/** Seconds variables are milliseconds once parsed; the help shows them as they are written. */
const seconds = { show: (ms: unknown) => String(Number(ms) / 1000) };

export const runtimeUsage = (): Usage<typeof envSchema.shape> => ({
  command: 'node dist/runtime/src/main.js',
  about: `paissive runtime: serves one ModelVersion (an ONNX model) over KServe's Open Inference Protocol v2
(gRPC), with dynamic batching, and /metrics, /healthz and /readyz over HTTP. The operator starts it (a pod,
or a child process in local mode) with these variables set from the AIModel and ModelVersion.`,
  shape: envSchema.shape,
  variables: {
    MODEL_NAME: { text: 'the AIModel this runtime serves (also the model label of its metrics)' },
    MODEL_VERSION: { text: 'the ModelVersion it serves (also the version label of its metrics)' },
    MODEL_ARTIFACT_URI: {
      text: 'where the artifact is: file://, https:// or s3:// (a directory or archive)',
    },
    MODEL_ARTIFACT_SHA256: { text: 'expected sha256 of the artifact; unset: not verified' },
    MODEL_CONFIGURATION: {
      text: 'the ModelVersion configuration as JSON (task, defaultMaxTokens, dtype, ...)',
    },
    GRPC_HOST: { text: 'address the gRPC server binds' },
    GRPC_PORT: { text: 'gRPC port; 0 picks a free one' },
    LOG_LEVEL: { text: 'fatal, error, warn, info, debug, trace or silent' },
    TERMINATION_MESSAGE_PATH: { text: 'file the start-up failure reason is written to' },
    MODEL_CACHE_DIR: { text: 'where fetched artifacts are cached; unset: $TMPDIR/paissive-model-cache' },
    MODEL_CACHE_MAX_BYTES: { text: 'model cache size limit, bytes or a quantity (10Gi, 500M)' },
    DOWNLOAD_MAX_ATTEMPTS: { text: 'tries per file without progress' },
    DOWNLOAD_STALL_SECONDS: { text: 'a download with no bytes for this long is retried', ...seconds },
    TMPDIR: { text: 'temporary directory (downloads in progress, the default cache)' },
    S3_ENDPOINT: { text: 'an S3-compatible endpoint (MinIO), path-style by default' },
    AWS_ENDPOINT_URL_S3: { text: "the AWS SDK's S3 endpoint override" },
    AWS_ENDPOINT_URL: { text: "the AWS SDK's endpoint override" },
    S3_FORCE_PATH_STYLE: { text: 'bucket in the path rather than the host name (true/false)' },
    AWS_REGION: { text: 'S3 region (else AWS_DEFAULT_REGION, else us-east-1)' },
    AWS_DEFAULT_REGION: { text: 'S3 region when AWS_REGION is unset' },
    AWS_ACCESS_KEY_ID: { text: "S3 key id, with AWS_SECRET_ACCESS_KEY; unset: the SDK's default chain" },
    AWS_SECRET_ACCESS_KEY: { text: 'S3 secret, with AWS_ACCESS_KEY_ID' },
    AWS_SESSION_TOKEN: { text: 'S3 session token of temporary credentials' },
    EXECUTION_PROVIDER: {
      text: 'auto (CUDA when it loads, else CPU), cpu, or cuda (CUDA only: exits GPUUnavailable without it)',
    },
    CUDA_DEVICE_ID: { text: 'GPU ordinal CUDA uses' },
    INTRA_OP_THREADS: {
      text: 'onnxruntime threads inside one operator (configuration.intraOpNumThreads wins)',
    },
    INTER_OP_THREADS: { text: 'onnxruntime threads across operators' },
    INTRA_OP_SPINNING: { text: 'onnxruntime threads spin between operators instead of sleeping' },
    MAX_BATCH_SIZE: { text: 'rows per onnxruntime run; 1 turns batching off' },
    MAX_BATCH_WAIT_MS: { text: 'how long a lone request waits for company, milliseconds' },
    MAX_QUEUE_SIZE: { text: 'rows waiting before RESOURCE_EXHAUSTED' },
    DRAIN_GRACE_SECONDS: { text: 'how long in-flight requests get after SIGTERM', ...seconds },
    DRAIN_DELAY_SECONDS: { text: 'how long to keep serving after readiness turns false', ...seconds },
    METRICS_HOST: { text: 'address of the metrics and probes HTTP server' },
    METRICS_PORT: { text: 'metrics and probes port; 0 picks a free one' },
  },
  notes: `Exit codes: ${Object.entries(EXIT_CODES)
    .map(([reason, code]) => `${code} ${reason}`)
    .join(', ')} (docs/runtime.md).`,
});
