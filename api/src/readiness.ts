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

/**
 * The answer /readyz gives to anyone (kubelet probes send no key): ready or not, and a reason that names
 * what is missing without saying where anything runs. The checks, with runtime addresses, go only to a key
 * holding models:admin.
 */
export function readinessSummary(report: ReadinessReport): { ready: boolean; reason?: string } {
  if (report.ready) return { ready: true };
  const failing = Object.entries(report.checks).filter(([, check]) => !check.ok);
  const runtimes = Object.keys(report.checks).filter((name) => name.startsWith('runtime:')).length;
  const reasons: string[] = [];
  const others = failing.filter(([name]) => !name.startsWith('runtime:'));
  for (const [name] of others) reasons.push(`${name} not ready`);
  const down = failing.length - others.length;
  if (down > 0) reasons.push(`${down} of ${runtimes} runtimes not ready`);
  return { ready: false, reason: reasons.join('; ') || 'not ready' };
}
