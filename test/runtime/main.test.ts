import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { RuntimeClient } from '../../runtime/src/client/index.js';
import type { IpcMessage } from '../../runtime/src/lifecycle.js';
import { archiveOf } from './helpers/artifacts.js';
import { startFileServer } from './helpers/file-server.js';
import { modelDir, type TestModel } from './helpers/runtime.js';

const MAIN = fileURLToPath(new URL('../../runtime/src/main.ts', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly messages: IpcMessage[];
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
  next(type: IpcMessage['type']): Promise<IpcMessage>;
}

/** Forks runtime/src/main.ts the way the operator's local mode does. */
function startMain(env: Record<string, string>): Started {
  const child = fork(MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const messages: IpcMessage[] = [];
  child.on('message', (message) => messages.push(message as IpcMessage));
  // 'close' comes after the exit and after the IPC channel and stdio are drained, so no message is missed.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const next = (type: IpcMessage['type']) =>
    new Promise<IpcMessage>((resolve, reject) => {
      const found = messages.find((m) => m.type === type);
      if (found) return resolve(found);
      const onMessage = (message: IpcMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('close', () => reject(new Error(`exited before '${type}': ${stderr}`)));
    });
  return { child, messages, exited, stderr: () => stderr, next };
}

const artifact = (model: TestModel) => ({
  MODEL_NAME: model.replace(/-v\d+$/, ''),
  MODEL_VERSION: 'v1',
  MODEL_ARTIFACT_URI: pathToFileURL(modelDir(model)).href,
});

describe('runtime process (child_process.fork of runtime/src/main.ts)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-main-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('sends listening, metrics and ready over IPC, serves, and exits 0 on SIGTERM', async () => {
    const started = startMain(artifact('sentiment-v1'));
    try {
      const listening = await started.next('listening');
      expect(listening).to.have.property('port').that.is.above(0);
      await started.next('ready');
      expect(started.messages.map((m) => m.type)).to.deep.equal(['listening', 'metrics', 'ready']);
      const client = new RuntimeClient(`127.0.0.1:${(listening as { port: number }).port}`);
      try {
        expect(await client.health()).to.equal('SERVING');
      } finally {
        client.close();
      }
      const metrics = started.messages.find((m) => m.type === 'metrics') as { port: number };
      const scrape = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      expect(scrape).to.include('runtime_ready 1');
      expect(scrape).to.include('process_cpu_user_seconds_total');
      started.child.kill('SIGTERM');
      expect(await started.exited).to.equal(0);
    } finally {
      started.child.kill('SIGKILL');
    }
  });

  const failures: [string, Record<string, string>, string, number, string][] = [
    [
      'a wrong sha256',
      { MODEL_ARTIFACT_SHA256: '0'.repeat(64) },
      'ArtifactInvalid',
      3,
      'sha256 mismatch for',
    ],
    [
      'a task the graph cannot do',
      { MODEL_CONFIGURATION: '{"task":"generate"}' },
      'ModelLoadFailed',
      4,
      'the ONNX graph wants input(s) token_type_ids; a decoder may only take',
    ],
    ['a bad variable', { GRPC_PORT: 'eighty' }, 'ConfigInvalid', 2, 'GRPC_PORT: must be an integer'],
    [
      'an artifact directory that does not exist',
      { MODEL_ARTIFACT_URI: 'file:///nonexistent/model-dir' },
      'ArtifactUnavailable',
      5,
      'artifact directory /nonexistent/model-dir does not exist',
    ],
    [
      'a dtype whose file the artifact lacks',
      { MODEL_CONFIGURATION: '{"dtype":"q4"}' },
      'ArtifactInvalid',
      3,
      'dtype q4 needs onnx/model_q4.onnx',
    ],
    [
      'EXECUTION_PROVIDER=cuda on this machine without CUDA (a GPU version never falls back to the CPU)',
      { EXECUTION_PROVIDER: 'cuda' },
      'GPUUnavailable',
      6,
      'the CUDA execution provider is not installed',
    ],
  ];
  for (const [given, env, reason, code, detail] of failures) {
    it(`given ${given}, reports ${reason} over IPC and in the termination message, and exits ${code}`, async () => {
      const terminationPath = join(dir, `${reason}-${code}.log`);
      const started = startMain({
        ...artifact('sentiment-v1'),
        ...env,
        TERMINATION_MESSAGE_PATH: terminationPath,
      });
      expect(await started.exited, started.stderr()).to.equal(code);
      const bound = reason === 'ConfigInvalid' ? [] : ['listening', 'metrics'];
      expect(started.messages.map((m) => m.type)).to.deep.equal([...bound, 'failed']);
      const failed = started.messages.find((m) => m.type === 'failed');
      expect(failed).to.include({ type: 'failed', reason });
      expect((failed as { message: string }).message).to.include(detail);
      const written = await readFile(terminationPath, 'utf8');
      expect(written.startsWith(`${reason}: `)).to.equal(true);
      expect(written).to.include(detail);
    });
  }

  it('reports the fetch of a remote artifact over IPC before ready, then serves it', async () => {
    const server = await startFileServer();
    const archive = await archiveOf('sentiment-v1');
    server.put('/sentiment.tar.gz', archive.bytes);
    const started = startMain({
      ...artifact('sentiment-v1'),
      MODEL_ARTIFACT_URI: `${server.url}/sentiment.tar.gz`,
      MODEL_ARTIFACT_SHA256: archive.sha256,
      MODEL_CACHE_DIR: join(dir, 'cache'),
    });
    try {
      await started.next('ready');
      const downloads = started.messages.filter((m) => m.type === 'download');
      expect(downloads.map((m) => m.state)).to.include.members([
        'downloading',
        'verifying',
        'extracting',
        'ready',
      ]);
      expect(downloads.at(-1)).to.deep.equal({
        type: 'download',
        state: 'ready',
        bytesDownloaded: archive.bytes.length,
        bytesTotal: archive.bytes.length,
      });
      expect(started.messages.findIndex((m) => m.type === 'ready')).to.be.above(
        started.messages.lastIndexOf(downloads.at(-1) as IpcMessage),
      );
      started.child.kill('SIGTERM');
      expect(await started.exited).to.equal(0);
    } finally {
      started.child.kill('SIGKILL');
      await server.close();
    }
  });

  it('given a store that never answers, reports ArtifactUnavailable and exits 5', async () => {
    const started = startMain({
      ...artifact('sentiment-v1'),
      // Port 9 (discard) on loopback: nothing listens, every connection is refused.
      MODEL_ARTIFACT_URI: 'http://127.0.0.1:9/sentiment.tar.gz',
      MODEL_CACHE_DIR: join(dir, 'cache'),
      DOWNLOAD_MAX_ATTEMPTS: '1',
      TERMINATION_MESSAGE_PATH: join(dir, 'unavailable.log'),
    });
    expect(await started.exited, started.stderr()).to.equal(5);
    expect(started.messages.find((m) => m.type === 'failed')).to.include({ reason: 'ArtifactUnavailable' });
    expect(await readFile(join(dir, 'unavailable.log'), 'utf8')).to.match(
      /^ArtifactUnavailable: cannot fetch http:\/\/127\.0\.0\.1:9\/sentiment\.tar\.gz: GET .* failed: fetch failed \(1 tries without progress, 0 bytes kept\)$/,
    );
  });
});

/** A forked runtime that has loaded its model, with a client and a scrape of its /metrics. */
async function startServing(model: TestModel, env: Record<string, string> = {}) {
  const started = startMain({ ...artifact(model), ...env });
  const { port } = (await started.next('listening')) as { port: number };
  await started.next('ready');
  const metrics = started.messages.find((m) => m.type === 'metrics') as { port: number };
  const client = new RuntimeClient(`127.0.0.1:${port}`);
  return {
    client,
    scrape: async () => (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text(),
    async stop() {
      client.close();
      started.child.kill('SIGTERM');
      await started.exited;
    },
  };
}

/** The value of one series, matched on its name and complete label set as the runtime writes them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('runtime /metrics after real requests (a forked runtime/src/main.ts)', () => {
  it('labels every series with the served model and version and records time per output token and queue wait', async () => {
    const rt = await startServing('story-writer-v1');
    try {
      const result = await rt.client.generate({
        model: 'story-writer',
        prompt: 'Once upon a time',
        maxTokens: 8,
        n: 2,
        temperature: 0,
      });
      expect(result.choices).to.have.length(2);
      const text = await rt.scrape();
      const labels = 'model="story-writer",version="v1"';
      // One sequence per choice: two waits in the decoder's queue, two per-token times (8 tokens each).
      expect(sample(text, `runtime_queue_wait_seconds_count{${labels}}`)).to.equal(2);
      expect(sample(text, `runtime_time_per_output_token_seconds_count{${labels}}`)).to.equal(2);
      const tpot = sample(text, `runtime_time_per_output_token_seconds_sum{${labels}}`) as number;
      expect(tpot).to.be.above(0).and.below(10);
      expect(text).to.match(
        /^runtime_time_per_output_token_seconds_bucket\{le="0\.0005",model="story-writer",version="v1"\} \d+$/m,
      );
      expect(sample(text, `runtime_time_to_first_token_seconds_count{${labels}}`)).to.equal(2);
      expect(sample(text, `runtime_requests_total{method="ModelInfer",code="OK",${labels}}`)).to.equal(1);
      expect(sample(text, `runtime_ready{${labels}}`)).to.equal(1);
      // Process metrics without a prefix, like the router's and the operator's, and labelled too.
      expect(sample(text, `process_cpu_seconds_total{${labels}}`)).to.be.above(0);
      // No series escapes the labels (a runtime serves one version: every line carries both), except that
      // nodejs_version_info's own version label (Node's) wins over the registry's.
      const unlabelled = text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#') && !l.includes(labels));
      expect(unlabelled).to.have.length(1);
      expect(unlabelled[0]).to.match(/^nodejs_version_info\{version="v[\d.]+",.*model="story-writer"\} 1$/);
    } finally {
      await rt.stop();
    }
  });

  it('records the queue wait of encoder requests, once per request however many rows it has', async () => {
    const rt = await startServing('sentiment-v1', { MAX_BATCH_WAIT_MS: '20' });
    try {
      await Promise.all([
        rt.client.classify({ model: 'sentiment', texts: ['a lovely day', 'a dreadful day'] }),
        rt.client.classify({ model: 'sentiment', texts: ['fine'] }),
      ]);
      const text = await rt.scrape();
      const labels = 'model="sentiment",version="v1"';
      expect(sample(text, `runtime_queue_wait_seconds_count{${labels}}`)).to.equal(2);
      // The first request waited for company (MAX_BATCH_WAIT_MS), so the sum is above 0.
      expect(sample(text, `runtime_queue_wait_seconds_sum{${labels}}`)).to.be.above(0);
      expect(sample(text, `runtime_time_per_output_token_seconds_count{${labels}}`)).to.equal(0);
    } finally {
      await rt.stop();
    }
  });
});
