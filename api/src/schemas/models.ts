/**
 * Response shapes of the model endpoints, and the views that build them from the catalog.
 * @module
 */
import { z } from 'zod';
import { type Condition, resolveDefaultVersion } from '../../../crds/src/index.js';
import { scrubText } from '../backends/scrub.js';
import type { CatalogModel, CatalogVersion } from '../catalog/catalog.js';
import { effectiveTraffic } from '../routing/traffic-split.js';

const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string(),
  message: z.string(),
  last_transition_time: z.string(),
});

export const versionView = z.object({
  name: z.string().describe('ModelVersion metadata.name'),
  version: z.string(),
  default: z.boolean().describe('Requests that name no version get this one'),
  deprecated: z.boolean(),
  ready: z.boolean(),
  reason: z.string().optional().describe('Reason of the Ready condition'),
  message: z.string().optional(),
  replicas: z.number().int(),
  ready_replicas: z.number().int(),
  artifact: z.object({ uri: z.string(), sha256: z.string().optional() }).optional(),
  resources: z.record(z.string(), z.unknown()).optional(),
  configuration: z.record(z.string(), z.unknown()).optional(),
  conditions: z.array(condition),
  created_at: z.string().optional(),
});
export type VersionView = z.infer<typeof versionView>;

export const modelView = z.object({
  id: z.string(),
  display_name: z.string(),
  description: z.string().optional(),
  provider: z.enum(['onnx', 'openai']),
  capabilities: z.array(z.string()),
  parameters: z.record(z.string(), z.unknown()),
  fallbacks: z.array(z.string()),
  pricing: z
    .object({ input_per_1k_tokens: z.number(), output_per_1k_tokens: z.number(), currency: z.string() })
    .optional(),
  base_url: z
    .string()
    .optional()
    .describe('OpenAI-compatible endpoint (provider openai); shown only to keys holding models:admin'),
  default_version: z.string().optional(),
  versions_total: z.number().int(),
  versions_ready: z.number().int(),
  ready: z.boolean(),
  reason: z.string().optional(),
  message: z.string().optional(),
  created_at: z.string().optional(),
});
export type ModelView = z.infer<typeof modelView>;

const share = z.object({ version: z.string(), weight: z.number().int() });

export const trafficView = z
  .object({
    configured: z.array(share).describe('spec.traffic as written'),
    effective: z
      .array(share)
      .describe(
        'What requests naming no version follow now: the versions of the split that are ready and not deprecated, the share of the others given to them in proportion; empty when none can serve (the default version answers)',
      ),
    sticky: z
      .object({ by: z.enum(['caller', 'header']), header: z.string().optional() })
      .optional()
      .describe(
        'What keeps a client on one version (spec.trafficStickiness); absent: drawn at random by weight',
      ),
  })
  .describe('The weighted split of requests that name no version (spec.traffic); absent without one');

export const modelDetails = modelView.extend({
  conditions: z.array(condition),
  versions: z.array(versionView),
  traffic: trafficView.optional(),
});
export const modelList = z.object({ models: z.array(modelView), total: z.number().int() });
export const versionList = z.object({
  model_id: z.string(),
  default_version: z.string().optional(),
  versions: z.array(versionView),
});

/**
 * A status message as a caller may read it: an operator (models:admin) reads it as written; anyone else reads
 * it without the upstream's base URL or internal addresses (a runtime failure may quote a pod address).
 */
function messageFor(message: string, m: CatalogModel, view: ViewOptions): string {
  if (view.internal) return message;
  const base = m.spec.endpoint?.baseURL;
  return scrubText(message, base ? { places: [{ address: base, name: 'its external endpoint' }] } : {});
}

function conditionsView(conditions: readonly Condition[] | undefined, m: CatalogModel, view: ViewOptions) {
  return (conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: messageFor(c.message, m, view),
    last_transition_time: c.lastTransitionTime,
  }));
}

export function toVersionView(
  v: CatalogVersion,
  defaultVersion: string | undefined,
  m: CatalogModel,
  view: ViewOptions = {},
): VersionView {
  const ready = v.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: v.name,
    version: v.version,
    default: v.version === defaultVersion,
    deprecated: v.spec.deprecated,
    ready: v.ready,
    ...(ready ? { reason: ready.reason, message: messageFor(ready.message, m, view) } : {}),
    replicas: v.status?.replicas ?? v.spec.replicas,
    ready_replicas: v.status?.readyReplicas ?? 0,
    ...(v.spec.artifact ? { artifact: { ...v.spec.artifact } } : {}),
    ...(v.spec.resources ? { resources: { ...v.spec.resources } } : {}),
    ...(v.spec.configuration ? { configuration: { ...v.spec.configuration } } : {}),
    conditions: conditionsView(v.status?.conditions, m, view),
    ...(v.createdAt ? { created_at: v.createdAt } : {}),
  };
}

export interface ViewOptions {
  /** Include what only operators should see (an upstream's base URL): the caller holds models:admin. */
  readonly internal?: boolean;
}

export function toModelView(m: CatalogModel, view: ViewOptions = {}): ModelView {
  const ready = m.status?.conditions?.find((c) => c.type === 'Ready');
  const pricing = m.spec.pricing;
  const defaultVersion = m.status?.defaultVersion ?? resolveDefaultVersion(m.versions).version?.version;
  return {
    id: m.name,
    display_name: m.spec.displayName ?? m.name,
    ...(m.spec.description ? { description: m.spec.description } : {}),
    provider: m.spec.provider,
    capabilities: [...m.spec.capabilities],
    parameters: { ...(m.spec.parameters ?? {}) },
    fallbacks: [...(m.spec.fallbacks ?? [])],
    ...(pricing
      ? {
          pricing: {
            input_per_1k_tokens: pricing.inputPer1kTokens,
            output_per_1k_tokens: pricing.outputPer1kTokens,
            currency: pricing.currency,
          },
        }
      : {}),
    // An upstream's address is internal: only a key that may administer models sees it.
    ...(m.spec.endpoint && view.internal ? { base_url: m.spec.endpoint.baseURL } : {}),
    ...(defaultVersion ? { default_version: defaultVersion } : {}),
    versions_total: m.versions.length,
    versions_ready: m.versions.filter((v) => v.ready).length,
    ready: ready?.status === 'True',
    ...(ready ? { reason: ready.reason, message: messageFor(ready.message, m, view) } : {}),
    ...(m.createdAt ? { created_at: m.createdAt } : {}),
  };
}

export function toModelDetails(m: CatalogModel, options: ViewOptions = {}) {
  const view = toModelView(m, options);
  return {
    ...view,
    conditions: conditionsView(m.status?.conditions, m, options),
    versions: m.versions.map((v) => toVersionView(v, view.default_version, m, options)),
    ...(m.spec.traffic ? { traffic: toTrafficView(m) } : {}),
  };
}

function toTrafficView(m: CatalogModel): z.infer<typeof trafficView> {
  const sticky = m.spec.trafficStickiness;
  return {
    configured: (m.spec.traffic ?? []).map((t) => ({ version: t.version, weight: t.weight })),
    effective: effectiveTraffic(m) ?? [],
    ...(sticky ? { sticky: { by: sticky.by, ...(sticky.header ? { header: sticky.header } : {}) } } : {}),
  };
}

/** Longest a download request may wait for the runtimes before answering 202 with their progress. */
export const MAX_DOWNLOAD_WAIT_SECONDS = 60;
export const DEFAULT_DOWNLOAD_WAIT_SECONDS = 5;

const waitDescription = `Wait at most this long for every runtime to finish before answering 202 with progress (0 to ${MAX_DOWNLOAD_WAIT_SECONDS})`;

export const downloadRequest = z.strictObject({
  model_id: z.string().min(1).max(63),
  version: z.string().min(1).max(32).optional().describe('Defaults to the default version'),
  wait_seconds: z
    .number()
    .min(0)
    .max(MAX_DOWNLOAD_WAIT_SECONDS)
    .default(DEFAULT_DOWNLOAD_WAIT_SECONDS)
    .describe(waitDescription),
});
export type DownloadRequest = z.infer<typeof downloadRequest>;

export const downloadQuery = z.strictObject({
  version: z.string().min(1).max(32).optional().describe('Defaults to the default version'),
  wait_seconds: z.coerce
    .number()
    .min(0)
    .max(MAX_DOWNLOAD_WAIT_SECONDS)
    .default(0)
    .describe(`${waitDescription}; 0 (the default) answers at once`),
});
export type DownloadQuery = z.infer<typeof downloadQuery>;

const downloadProgress = z.object({
  state: z
    .string()
    .describe(
      'The fetch: pending, downloading, verifying, extracting (then ready; cached or local: no fetch)',
    ),
  bytes_downloaded: z.number().int(),
  bytes_total: z
    .number()
    .int()
    .optional()
    .describe('Absent while unknown; an https:// directory announces each file as its download starts'),
  percent: z.number().optional().describe('bytes_downloaded of bytes_total, 0 to 100'),
});

export const runtimeDownload = z.object({
  address: z.string().describe('host:port of the runtime'),
  state: z.enum(['DOWNLOADING', 'LOADING', 'READY', 'FAILED', 'UNREACHABLE']),
  reason: z.string().optional().describe("The runtime's RepositoryIndex reason, or why it failed"),
  error_code: z.string().optional().describe('The runtime error of a failure, e.g. ArtifactInvalid'),
  serving: z
    .boolean()
    .describe('Whether the runtime answers requests (with the previous load during a reload)'),
  progress: downloadProgress.optional(),
});

export const downloadResponse = z.object({
  model_id: z.string(),
  version: z.string(),
  state: z
    .enum(['READY', 'DOWNLOADING', 'LOADING'])
    .describe(
      'READY once every runtime fetched, verified and loaded the artifact; DOWNLOADING while one fetches it; LOADING while one loads without fetching',
    ),
  artifact: z.object({ uri: z.string(), sha256: z.string().optional(), verified: z.boolean() }),
  runtimes: z.array(runtimeDownload),
  started_at: z.string().optional().describe('When this router started the load still running'),
  status_url: z.string().describe('GET it to follow the download without starting another'),
  duration_ms: z.number().describe('Time this request took'),
});
export type DownloadResponse = z.infer<typeof downloadResponse>;
