/**
 * Parses AIModel and ModelVersion manifests (multi-document YAML or JSON) the way the API server would
 * admit them: schema validation, invariants and defaults. Pure; reading files is the caller's job.
 * @module
 */
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { AIMODEL_KIND, type AIModel, aiModel } from './aimodel.js';
import { API_VERSION } from './meta.js';
import { MODELVERSION_KIND, type ModelVersion, modelVersion } from './modelversion.js';

export interface ManifestError {
  /** File (or other origin) and 1-based document number, e.g. `examples/models.yaml#2`. */
  readonly source: string;
  readonly kind?: string;
  readonly name?: string;
  readonly message: string;
}

export interface ParsedManifests {
  readonly aiModels: AIModel[];
  readonly modelVersions: ModelVersion[];
  readonly errors: ManifestError[];
  /** Documents of other kinds (ConfigMaps, Secrets, ...) that local mode leaves alone. */
  readonly ignored: number;
}

/** `spec.provider: Invalid option ...; spec.fallbacks: a model cannot be its own fallback` */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function describe(doc: unknown): { kind?: string; name?: string; apiVersion?: string } {
  if (typeof doc !== 'object' || doc === null) return {};
  const d = doc as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown } };
  return {
    kind: typeof d.kind === 'string' ? d.kind : undefined,
    name: typeof d.metadata?.name === 'string' ? d.metadata.name : undefined,
    apiVersion: typeof d.apiVersion === 'string' ? d.apiVersion : undefined,
  };
}

/** Parses every document of one file; bad documents become errors, good ones are returned with defaults. */
export function parseManifests(text: string, source: string): ParsedManifests {
  const result = {
    aiModels: [] as AIModel[],
    modelVersions: [] as ModelVersion[],
    errors: [] as ManifestError[],
  };
  let ignored = 0;
  parseAllDocuments(text).forEach((doc, index) => {
    const where = `${source}#${index + 1}`;
    if (doc.errors.length > 0) {
      result.errors.push({ source: where, message: `invalid YAML: ${doc.errors[0]?.message}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const { kind, name, apiVersion } = describe(value);
    if (apiVersion !== API_VERSION || (kind !== AIMODEL_KIND && kind !== MODELVERSION_KIND)) {
      ignored += 1;
      return;
    }
    const schema = kind === AIMODEL_KIND ? aiModel : modelVersion;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      result.errors.push({ source: where, kind, name, message: formatIssues(parsed.error) });
    } else if (kind === AIMODEL_KIND) {
      result.aiModels.push(parsed.data as AIModel);
    } else {
      result.modelVersions.push(parsed.data as ModelVersion);
    }
  });
  return { ...result, ignored };
}
