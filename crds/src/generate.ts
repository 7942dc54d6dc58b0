/**
 * Writes the CRD YAML into crds/ (`make crds`). A test fails when the committed files differ from this output.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { allCrds } from './crd.js';

export const CRDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The chart renders these through templates/crds.yaml (so `helm upgrade` upgrades them); Helm's own crds/
 * folder is never upgraded, so they are kept out of it.
 */
export const CHART_CRDS_DIR = join(CRDS_DIR, '..', 'charts', 'paissive', 'files', 'crds');

const HEADER = '# Generated from crds/src by `make crds`; do not edit by hand.\n';

/** The exact text of each CRD file. */
export function renderCrds(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(allCrds()).map(([file, crd]) => [file, HEADER + stringify(crd, { lineWidth: 0 })]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(renderCrds())) {
    for (const dir of [CRDS_DIR, CHART_CRDS_DIR]) await writeFile(join(dir, file), text);
    console.log(`wrote crds/${file} and charts/paissive/files/crds/${file}`);
  }
}
