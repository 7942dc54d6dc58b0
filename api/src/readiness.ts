/**
 * Readiness of local mode: the catalog is loaded, no runtime is still starting, and every runtime that
 * reports ready answers ServerReady. Versions that are failing do not hold readiness back: the fallback
 * chain routes around them and their status says why.
 * @module
 */
import type { RuntimeBackend } from './backends/runtime-backend.js';
import type { Catalog } from './catalog/catalog.js';
import type { ReadinessReport } from './deps.js';

const CHECK_TIMEOUT_MS = 1000;

export function localReadiness(catalog: Catalog, runtimes: RuntimeBackend): () => Promise<ReadinessReport> {
  return async () => {
    const checks: Record<string, { ok: boolean; message: string }> = {
      catalog: { ok: catalog.loaded, message: catalog.loaded ? 'loaded' : 'not loaded yet' },
    };
    const probes: Promise<void>[] = [];
    for (const model of catalog.models()) {
      if (model.spec.provider !== 'onnx') continue;
      for (const version of model.versions) {
        const name = `runtime:${version.name}`;
        const ready = version.status?.conditions?.find((c) => c.type === 'Ready');
        const starting = ready?.reason === 'RuntimeStarting';
        if (starting) {
          checks[name] = { ok: false, message: 'starting' };
        } else if (version.endpoint) {
          const endpoint = version.endpoint;
          probes.push(
            runtimes
              .client(endpoint)
              .serverReady({ deadline: CHECK_TIMEOUT_MS })
              .then(
                (ok) => {
                  checks[name] = { ok, message: ok ? `ready at ${endpoint}` : `not ready at ${endpoint}` };
                },
                (err: Error) => {
                  checks[name] = { ok: false, message: `${endpoint}: ${err.message}` };
                },
              ),
          );
        }
      }
    }
    await Promise.all(probes);
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}
