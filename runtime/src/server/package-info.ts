/**
 * The server name and version ServerMetadata reports.
 * @module
 */
import { readFileSync } from 'node:fs';
import { findUp } from '../find-up.js';

/** Name ServerMetadata reports. */
export const SERVER_NAME = 'paissive-runtime';

/** Protocol extensions this server implements (Triton's names). */
export const SERVER_EXTENSIONS = ['model_repository', 'parameters'] as const;

let version: string | undefined;

/** The project's version from package.json, read once. */
export function serverVersion(): string {
  version ??= (
    JSON.parse(readFileSync(findUp(import.meta.url, 'package.json'), 'utf8')) as { version: string }
  ).version;
  return version;
}
