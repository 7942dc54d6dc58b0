import { expect } from 'chai';
import { loadConfig } from '../../runtime/src/config.js';
import { ConfigError } from '../../runtime/src/errors.js';

const base = {
  MODEL_NAME: 'story-writer',
  MODEL_VERSION: 'v1',
  MODEL_ARTIFACT_URI: 'file:///models/story-writer-v1',
};

describe('runtime config', () => {
  it('given only the required variables, fills in the documented defaults', () => {
    expect(loadConfig(base)).to.deep.equal({
      modelName: 'story-writer',
      modelVersion: 'v1',
      artifactUri: 'file:///models/story-writer-v1',
      configuration: {},
      grpcHost: '0.0.0.0',
      grpcPort: 8001,
      logLevel: 'info',
      terminationMessagePath: '/dev/termination-log',
      cache: { dir: '/tmp/paissive-model-cache', maxBytes: 10 * 2 ** 30 },
      download: { maxAttempts: 5, stallTimeoutMs: 30_000 },
      s3: { region: 'us-east-1', forcePathStyle: false },
      engine: { executionProvider: 'auto', cudaDeviceId: 0, spinning: false },
      batching: { maxBatchSize: 32, maxBatchWaitMs: 2, maxQueueSize: 512 },
      drain: { graceMs: 10_000, delayMs: 0 },
      metrics: { host: '0.0.0.0', port: 8002 },
    });
  });

  const valid: [string, Record<string, string>, Record<string, unknown>][] = [
    ['GRPC_PORT=0', { GRPC_PORT: '0' }, { grpcPort: 0 }],
    ['an empty GRPC_PORT', { GRPC_PORT: '' }, { grpcPort: 8001 }],
    [
      'an upper-case sha256 with prefix',
      { MODEL_ARTIFACT_SHA256: `sha256:${'AB'.repeat(32)}` },
      { artifactSha256: 'ab'.repeat(32) },
    ],
    [
      'a configuration with known and unknown keys',
      { MODEL_CONFIGURATION: '{"task":"embed","defaultMaxTokens":8,"intraOpNumThreads":1,"note":{"x":1}}' },
      { configuration: { task: 'embed', defaultMaxTokens: 8, intraOpNumThreads: 1, note: { x: 1 } } },
    ],
    [
      'a dtype (the ONNX file to open)',
      { MODEL_CONFIGURATION: '{"dtype":"q4f16"}' },
      { configuration: { dtype: 'q4f16' } },
    ],
    ['LOG_LEVEL=silent', { LOG_LEVEL: 'silent' }, { logLevel: 'silent' }],
    [
      'a cache directory and a Kubernetes quantity',
      { MODEL_CACHE_DIR: '/cache', MODEL_CACHE_MAX_BYTES: '2Gi' },
      { cache: { dir: '/cache', maxBytes: 2 * 2 ** 30 } },
    ],
    [
      'TMPDIR=/scratch/',
      { TMPDIR: '/scratch/' },
      { cache: { dir: '/scratch/paissive-model-cache', maxBytes: 10 * 2 ** 30 } },
    ],
    [
      'an S3 endpoint with credentials',
      {
        S3_ENDPOINT: 'http://minio.storage:9000',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'k',
        AWS_SECRET_ACCESS_KEY: 's',
      },
      {
        s3: {
          region: 'eu-west-1',
          endpoint: 'http://minio.storage:9000',
          forcePathStyle: true,
          credentials: { accessKeyId: 'k', secretAccessKey: 's' },
        },
      },
    ],
    [
      'the SDK endpoint variable and virtual-hosted style',
      {
        AWS_ENDPOINT_URL_S3: 'https://s3.example',
        S3_FORCE_PATH_STYLE: 'false',
        AWS_DEFAULT_REGION: 'ap-south-1',
      },
      { s3: { region: 'ap-south-1', endpoint: 'https://s3.example', forcePathStyle: false } },
    ],
    [
      'EXECUTION_PROVIDER=CUDA and thread counts',
      { EXECUTION_PROVIDER: 'CUDA', CUDA_DEVICE_ID: '1', INTRA_OP_THREADS: '4', INTER_OP_THREADS: '2' },
      {
        engine: {
          executionProvider: 'cuda',
          cudaDeviceId: 1,
          intraOpThreads: 4,
          interOpThreads: 2,
          spinning: false,
        },
      },
    ],
    [
      'INTRA_OP_SPINNING=true',
      { INTRA_OP_SPINNING: 'true' },
      { engine: { executionProvider: 'auto', cudaDeviceId: 0, spinning: true } },
    ],
    [
      'INTRA_OP_THREADS and a ModelVersion intraOpNumThreads (the ModelVersion wins)',
      { INTRA_OP_THREADS: '4', MODEL_CONFIGURATION: '{"intraOpNumThreads":2}' },
      { engine: { executionProvider: 'auto', cudaDeviceId: 0, intraOpThreads: 2, spinning: false } },
    ],
    [
      'batching and drain settings',
      {
        MAX_BATCH_SIZE: '1',
        MAX_BATCH_WAIT_MS: '0',
        MAX_QUEUE_SIZE: '10',
        DRAIN_GRACE_SECONDS: '30',
        DRAIN_DELAY_SECONDS: '2.5',
      },
      {
        batching: { maxBatchSize: 1, maxBatchWaitMs: 0, maxQueueSize: 10 },
        drain: { graceMs: 30_000, delayMs: 2500 },
      },
    ],
    [
      'METRICS_PORT=0',
      { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' },
      { metrics: { host: '127.0.0.1', port: 0 } },
    ],
  ];
  for (const [given, env, expected] of valid) {
    it(`given ${given}, returns ${JSON.stringify(expected)}`, () => {
      expect(loadConfig({ ...base, ...env })).to.deep.include(expected);
    });
  }

  const invalid: [string, Record<string, string | undefined>, string][] = [
    ['no MODEL_NAME', { MODEL_NAME: undefined }, 'MODEL_NAME: is required'],
    ['an empty MODEL_VERSION', { MODEL_VERSION: '' }, 'MODEL_VERSION: must be a non-empty string'],
    ['GRPC_PORT=70000', { GRPC_PORT: '70000' }, 'GRPC_PORT: must be an integer from 0 to 65535'],
    ['GRPC_PORT=http', { GRPC_PORT: 'http' }, 'GRPC_PORT: must be an integer from 0 to 65535'],
    [
      'LOG_LEVEL=loud',
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    ['a short sha256', { MODEL_ARTIFACT_SHA256: 'abc' }, 'MODEL_ARTIFACT_SHA256: must be 64 hex digits'],
    [
      'a configuration that is not JSON',
      { MODEL_CONFIGURATION: '{task' },
      'MODEL_CONFIGURATION: must be a JSON object',
    ],
    [
      'a configuration that is an array',
      { MODEL_CONFIGURATION: '[]' },
      'MODEL_CONFIGURATION: must be a JSON object',
    ],
    [
      'an unknown task',
      { MODEL_CONFIGURATION: '{"task":"draw"}' },
      'MODEL_CONFIGURATION.task: must be one of generate, classify, embed',
    ],
    [
      'an unknown dtype',
      { MODEL_CONFIGURATION: '{"dtype":"int4"}' },
      'MODEL_CONFIGURATION.dtype: must be one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, q2, q2f16, q1, q1f16',
    ],
    [
      'MODEL_CACHE_MAX_BYTES=lots',
      { MODEL_CACHE_MAX_BYTES: 'lots' },
      'MODEL_CACHE_MAX_BYTES: must be a size in bytes',
    ],
    [
      'EXECUTION_PROVIDER=tpu',
      { EXECUTION_PROVIDER: 'tpu' },
      'EXECUTION_PROVIDER: must be one of auto, cpu, cuda',
    ],
    ['MAX_BATCH_SIZE=0', { MAX_BATCH_SIZE: '0' }, 'MAX_BATCH_SIZE: must be an integer from 1 to 4096'],
    [
      'INTRA_OP_SPINNING=sometimes',
      { INTRA_OP_SPINNING: 'sometimes' },
      'INTRA_OP_SPINNING: must be true or false',
    ],
    [
      'DRAIN_GRACE_SECONDS=-1',
      { DRAIN_GRACE_SECONDS: '-1' },
      'DRAIN_GRACE_SECONDS: must be a number of seconds',
    ],
    [
      'S3_ENDPOINT without a scheme',
      { S3_ENDPOINT: 'minio:9000' },
      'S3_ENDPOINT: must be an http:// or https:// URL',
    ],
    [
      'an access key without its secret',
      { AWS_ACCESS_KEY_ID: 'k' },
      'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: must be set together',
    ],
    ['METRICS_PORT=99999', { METRICS_PORT: '99999' }, 'METRICS_PORT: must be an integer from 0 to 65535'],
    [
      'defaultMaxTokens 0',
      { MODEL_CONFIGURATION: '{"defaultMaxTokens":0}' },
      'MODEL_CONFIGURATION.defaultMaxTokens: must be a positive integer',
    ],
  ];
  for (const [given, env, message] of invalid) {
    it(`given ${given}, throws ConfigError naming it`, () => {
      expect(() => loadConfig({ ...base, ...env }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.includes(message);
    });
  }

  it('lists every bad variable at once', () => {
    try {
      loadConfig({ GRPC_PORT: '-1' });
      expect.fail('should throw');
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.split(':')[0])).to.have.members([
        'MODEL_NAME',
        'MODEL_VERSION',
        'MODEL_ARTIFACT_URI',
        'GRPC_PORT',
      ]);
    }
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ ...base, MODEL_CONFIGURATION: '{"task":"generate","extra":{"a":1}}' });
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.configuration)).to.equal(true);
    expect(Object.isFrozen(config.configuration.extra)).to.equal(true);
  });
});
