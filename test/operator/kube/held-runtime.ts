/**
 * A real runtime on loopback caught mid-download: its archive is served by a real file server that holds the
 * response after the first 8 KiB until the test resumes it. The download prober's tests ask it over gRPC.
 */

import { loadConfig } from '../../../runtime/src/config.js';
import { createLogger } from '../../../runtime/src/logger.js';
import { RuntimeServer } from '../../../runtime/src/server/server.js';
import type { FileServer } from '../../runtime/helpers/file-server.js';

export const HELD_BYTES = 8192;

export interface HeldRuntime {
  readonly server: RuntimeServer;
  readonly port: number;
  /** The start-up load: settles once the file server resumes `path`. */
  readonly loading: Promise<void>;
}

/** Serves `archive` at `path` (held after HELD_BYTES), starts a runtime that fetches it, begins its load. */
export async function startHeldRuntime(options: {
  readonly files: FileServer;
  readonly path: string;
  readonly archive: { readonly bytes: Buffer; readonly sha256: string };
  readonly cacheDir: string;
}): Promise<HeldRuntime> {
  const { files, path, archive } = options;
  files.put(path, archive.bytes);
  files.fault(path, { pauseAfter: HELD_BYTES, times: 1 });
  const config = loadConfig({
    MODEL_NAME: 'sentiment',
    MODEL_VERSION: 'v1',
    MODEL_ARTIFACT_URI: `${files.url}${path}`,
    MODEL_ARTIFACT_SHA256: archive.sha256,
    MODEL_CACHE_DIR: options.cacheDir,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const server = new RuntimeServer({ config, logger: createLogger(config) });
  const port = await server.listen();
  return { server, port, loading: server.load() };
}
