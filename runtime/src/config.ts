/**
 * The runtime's configuration, parsed once from the environment the operator sets on the pod or child process.
 *
 * `loadConfig(env)` is pure: tests pass their own env and never touch `process.env`. Errors name the variable
 * and what it allows; the result is deep-frozen so nothing downstream can drift from what was validated.
 * @module
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** Tasks a model can be configured to serve; `tokenize` is always available on top of the model's task. */
export const MODEL_TASKS = ['generate', 'classify', 'embed'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Kubernetes sets absent-but-declared variables to ""; treat that as unset so defaults apply. */
const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

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

const envSchema = z.object({
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
  });
}
