/** Catalog entries for pure routing tests. */

import type { CatalogModel, CatalogVersion } from '../../../api/src/catalog/catalog.js';
import type { AIModelSpec, ModelVersionSpec } from '../../../crds/src/index.js';

export function catalogVersion(
  version: string,
  opts: { ready?: boolean; default?: boolean; deprecated?: boolean; model?: string } = {},
): CatalogVersion {
  const ready = opts.ready ?? true;
  const spec: ModelVersionSpec = {
    model: opts.model ?? 'm',
    version,
    default: opts.default ?? false,
    deprecated: opts.deprecated ?? false,
    replicas: 1,
  };
  return {
    name: `${spec.model}-${version}`,
    version,
    spec,
    ready,
    endpoint: ready ? `127.0.0.1:${version.length}` : undefined,
    addresses: ready ? [`127.0.0.1:${version.length}`] : [],
  };
}

export function catalogModel(
  name: string,
  versions: CatalogVersion[],
  spec: Partial<AIModelSpec> = {},
  ready = true,
): CatalogModel {
  return {
    name,
    spec: { provider: 'onnx', capabilities: ['text-generation'], ...spec },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: 'x',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
    versions,
  };
}

export function lookupIn(models: CatalogModel[]): (name: string) => CatalogModel | undefined {
  return (name) => models.find((m) => m.name === name);
}
