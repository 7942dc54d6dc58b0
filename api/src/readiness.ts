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

/** Every address of a version answers ServerReady. */
async function probe(
  runtimes: RuntimeBackend,
  addresses: readonly string[],
): Promise<{ ok: boolean; message: string }> {
  const answers = await Promise.all(
    addresses.map((address) =>
      runtimes
        .client(address)
        .serverReady({ deadline: CHECK_TIMEOUT_MS })
        .then(
          (ok) => (ok ? `ready at ${address}` : `not ready at ${address}`),
          (err: Error) => `${address}: ${err.message}`,
        ),
    ),
  );
  return { ok: answers.every((a) => a.startsWith('ready at')), message: answers.join('; ') };
}

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
        } else if (version.addresses.length > 0) {
          probes.push(
            probe(runtimes, version.addresses).then((check) => {
              checks[name] = check;
            }),
          );
        }
      }
    }
    await Promise.all(probes);
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}
