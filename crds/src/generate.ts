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

const HEADER = '# Generated from crds/src by `make crds`; do not edit by hand.\n';

/** The exact text of each CRD file. */
export function renderCrds(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(allCrds()).map(([file, crd]) => [file, HEADER + stringify(crd, { lineWidth: 0 })]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(renderCrds())) {
    await writeFile(join(CRDS_DIR, file), text);
    console.log(`wrote crds/${file}`);
  }
}
