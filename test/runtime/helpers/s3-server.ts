/**
 * A real S3-compatible server for model-store tests: gofakes3 (hack/s3/build.sh builds it from the Go module
 * proxy once and caches it outside the repository), started on a free loopback port with an in-memory backend.
 *
 * Without Go (and no cached binary) the suites that need it skip, unless `CLUSTER_REQUIRED` or `S3_REQUIRED` is
 * set (as `make test` does): then the missing server fails the run, like a missing test cluster.
 * @module
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../runtime/src/model-store/s3-source.js';

const BUILD = fileURLToPath(new URL('../../../hack/s3/build.sh', import.meta.url));
const run = promisify(execFile);

export interface S3Server {
  readonly endpoint: string;
  readonly client: S3Client;
  /** Runtime variables that point at this server. */
  readonly env: Record<string, string>;
  put(bucket: string, key: string, body: Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** The cached gofakes3 binary, building it on first use; undefined when Go is not installed. */
async function binary(): Promise<string | undefined> {
  try {
    const { stdout } = await run('bash', [BUILD], { timeout: 300_000 });
    return stdout.trim();
  } catch (error) {
    if (/Go is not installed/.test(String((error as { stderr?: string }).stderr))) return undefined;
    throw error;
  }
}

/** For `before` hooks: the server, or a skip (a failure under CLUSTER_REQUIRED / S3_REQUIRED). */
export async function requireS3(ctx: Mocha.Context): Promise<S3Server> {
  ctx.timeout(300_000); // a cold build of gofakes3 takes a few seconds to a minute
  const path = await binary();
  if (!path) {
    if (process.env.CLUSTER_REQUIRED || process.env.S3_REQUIRED) {
      throw new Error('No Go toolchain to build the S3 test server (hack/s3/build.sh): install Go >= 1.24');
    }
    ctx.skip();
  }
  return startS3(path as string);
}

async function startS3(path: string): Promise<S3Server> {
  const child: ChildProcess = spawn(path, ['-backend', 'mem', '-host', '127.0.0.1:0', '-quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`gofakes3 did not start: ${output}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += String(chunk);
      const match = /using port: (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`gofakes3 exited with ${code}: ${output}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'test-key', secretAccessKey: 'test-secret' };
  const client = createS3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
  const buckets = new Set<string>();
  return {
    endpoint,
    client,
    env: {
      S3_ENDPOINT: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async put(bucket, key, body) {
      if (!buckets.has(bucket)) {
        await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
          if (!/BucketAlready/.test(error.name)) throw error;
        });
        buckets.add(bucket);
      }
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
