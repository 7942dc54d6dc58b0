/**
 * Writes the Grafana dashboards the chart ships (charts/paissive/files/dashboards/*.json) from their specs,
 * formatted by Biome like every JSON file of the repository. Edit the specs here, then run:
 *   node --import tsx hack/monitoring/dashboards/write.ts
 * `--check` writes nothing and exits 1 when a file's JSON differs from its spec (test/monitoring checks the same).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { dashboard } from './grafana.js';
import { operatorDashboard } from './operator.js';
import { routerDashboard } from './router.js';
import { runtimesDashboard } from './runtimes.js';

const ROOT = resolve(import.meta.dirname, '../../..');
export const DASHBOARDS_DIR = join(ROOT, 'charts/paissive/files/dashboards');

/** File name -> the dashboard it holds. */
export function renderDashboards(): Map<string, ReturnType<typeof dashboard>> {
  const specs = { router: routerDashboard, runtimes: runtimesDashboard, operator: operatorDashboard };
  return new Map(Object.entries(specs).map(([name, spec]) => [`${name}.json`, dashboard(spec)]));
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const written: string[] = [];
  let stale = 0;
  for (const [file, model] of renderDashboards()) {
    const path = join(DASHBOARDS_DIR, file);
    const current = await readFile(path, 'utf8').then(JSON.parse, () => undefined);
    if (isDeepStrictEqual(current, model)) continue;
    if (check) {
      stale++;
      console.error(
        `${path} differs from its spec (run node --import tsx hack/monitoring/dashboards/write.ts)`,
      );
    } else {
      await writeFile(path, `${JSON.stringify(model, null, 2)}\n`);
      written.push(path);
      console.log(`wrote ${path}`);
    }
  }
  if (written.length)
    execFileSync(join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', ...written], {
      stdio: 'ignore',
    });
  process.exitCode = stale ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
