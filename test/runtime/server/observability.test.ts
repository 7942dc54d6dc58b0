import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { RuntimeClient } from '../../../runtime/src/client/index.js';
import { loadConfig } from '../../../runtime/src/config.js';
import { createLogger } from '../../../runtime/src/logger.js';
import { type RunningHttpServer, startHttpServer } from '../../../runtime/src/server/http.js';
import { RuntimeServer } from '../../../runtime/src/server/server.js';
import { modelDir } from '../helpers/runtime.js';

/** A runtime whose JSON log lines the test can read. */
async function startLogged(env: Record<string, string>) {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    MODEL_NAME: 'sentiment',
    MODEL_VERSION: 'v1',
    MODEL_ARTIFACT_URI: pathToFileURL(modelDir('sentiment-v1')).href,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  const server = new RuntimeServer({ config, logger: createLogger(config, destination) });
  const client = new RuntimeClient(`127.0.0.1:${await server.listen()}`);
  await server.load();
  return { server, client, logs };
}

describe('execution provider choice', () => {
  it('given auto on a CPU build of onnxruntime, takes the CPU and says why', async () => {
    const rt = await startLogged({ EXECUTION_PROVIDER: 'auto', INTRA_OP_THREADS: '1' });
    try {
      const line = rt.logs.find((l) => l.msg === 'Execution provider: cpu');
      expect(line).to.include({ level: 'info', requested: 'auto' });
      expect(line?.fallback).to.include('not installed');
    } finally {
      rt.client.close();
      await rt.server.shutdown(1000);
    }
  });
});

describe('metrics and probes over HTTP (METRICS_PORT)', () => {
  let rt: Awaited<ReturnType<typeof startLogged>>;
  let http: RunningHttpServer;
  const get = (path: string) => fetch(`http://127.0.0.1:${http.port}${path}`);

  before(async () => {
    rt = await startLogged({ LOG_LEVEL: 'silent' });
    http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: rt.server.metrics,
      manager: rt.server.manager,
    });
  });
  after(async () => {
    rt.client.close();
    await http.close();
  });

  it('exports queue, batch, latency, load, download and provider metrics in Prometheus text', async () => {
    await rt.client.classify({ model: 'sentiment', texts: ['a lovely day', 'an awful day'] });
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await response.text();
    // Every series carries the served model and version (prom-client writes them first on histograms).
    const served = 'model="sentiment",version="v1"';
    for (const line of [
      `runtime_queue_depth{${served}} 0`,
      `runtime_batch_size_count{${served}} 1`,
      `runtime_batch_size_sum{${served}} 2`,
      `runtime_queue_wait_seconds_count{${served}} 1`,
      `runtime_inference_duration_seconds_count{${served},task="classify"} 1`,
      `runtime_requests_total{method="ModelInfer",code="OK",${served}} 1`,
      `runtime_model_load_duration_seconds_count{${served}} 1`,
      `runtime_model_download_state{state="local",${served}} 1`,
      `runtime_execution_provider{requested="auto",provider="cpu",${served}} 1`,
      `runtime_ready{${served}} 1`,
    ]) {
      expect(text).to.include(line);
    }
    for (const name of [
      'runtime_generated_tokens_total',
      'runtime_generation_tokens_per_second',
      'runtime_time_to_first_token_seconds',
      'runtime_time_per_output_token_seconds',
      'runtime_model_download_bytes_total',
      'runtime_model_cache_bytes',
    ]) {
      expect(text).to.include(`# TYPE ${name} `);
    }
  });

  it('answers /healthz always and /readyz only while serving, turning 503 as soon as draining starts', async () => {
    expect((await get('/healthz')).status).to.equal(200);
    expect((await get('/readyz')).status).to.equal(200);
    expect((await get('/nope')).status).to.equal(404);
    const stopped = rt.server.shutdown(1000, 200);
    expect((await get('/readyz')).status).to.equal(503);
    expect((await get('/healthz')).status).to.equal(200);
    await stopped;
  });
});
