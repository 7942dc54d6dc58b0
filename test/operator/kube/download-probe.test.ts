/**
 * The download prober: which pods it asks (pure), and what it hears from a real runtime on loopback that is
 * caught mid-download by a real HTTP file server holding the archive.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { pino } from 'pino';
import { DownloadProber, probeTargets } from '../../../operator/src/kube/download-probe.js';
import type { RuntimeServer } from '../../../runtime/src/server/server.js';
import { archiveOf } from '../../runtime/helpers/artifacts.js';
import { type FileServer, startFileServer } from '../../runtime/helpers/file-server.js';
import { eventually } from '../../support/eventually.js';
import { downloading } from './fixtures.js';
import { HELD_BYTES, startHeldRuntime } from './held-runtime.js';

const runtimePod = (
  name: string,
  status: V1Pod['status'],
  port = 8001,
  extra: Partial<V1Pod['metadata']> = {},
) =>
  ({
    metadata: {
      name,
      namespace: 'ns',
      labels: { 'ai.paissive.io/modelversion': 'sentiment-v1', 'ai.paissive.io/model': 'sentiment' },
      ...extra,
    },
    spec: { containers: [{ name: 'runtime', ports: [{ name: 'grpc', containerPort: port }] }] },
    status,
  }) as V1Pod;

describe('operator/kube: probeTargets', () => {
  const ready = {
    ...downloading('10.0.0.2').status,
    containerStatuses: [{ ...downloading('10.0.0.2').status.containerStatuses[0], ready: true }],
  } as V1Pod['status'];
  const cases: [string, V1Pod, string[]][] = [
    ['a running, not ready runtime', runtimePod('a', downloading('10.0.0.1').status), ['10.0.0.1:8001']],
    ['an IPv6 pod', runtimePod('b', downloading('fd00::1').status), ['[fd00::1]:8001']],
    ['a ready runtime (nothing to tell)', runtimePod('c', ready), []],
    ['a pod without an IP yet', runtimePod('d', { ...downloading('x').status, podIP: undefined }), []],
    [
      'a terminating pod',
      runtimePod('e', downloading('10.0.0.5').status, 8001, { deletionTimestamp: new Date() }),
      [],
    ],
    [
      'a pod whose container is waiting (crash loop)',
      runtimePod('f', {
        ...downloading('10.0.0.6').status,
        containerStatuses: [
          { name: 'runtime', image: 'x', imageID: '', ready: false, restartCount: 3, state: { waiting: {} } },
        ],
      }),
      [],
    ],
  ];
  for (const [what, pod, addresses] of cases) {
    it(`given ${what}, asks ${addresses.length ? addresses.join(', ') : 'nobody'}`, () => {
      expect(probeTargets([pod]).map((t) => t.address)).to.deep.equal(addresses);
    });
  }

  it('names the pod, the served model and the owning version', () => {
    expect(probeTargets([runtimePod('a', downloading('10.0.0.1').status, 9001)])).to.deep.equal([
      { key: 'ns/a', address: '10.0.0.1:9001', model: 'sentiment', owner: 'ns/sentiment-v1' },
    ]);
  });
});

describe('operator/kube: DownloadProber against a real runtime on loopback', function () {
  this.timeout(60_000);
  let files: FileServer;
  let runtime: RuntimeServer;
  let port: number;
  let archive: { bytes: Buffer; sha256: string };
  let loading: Promise<void>;

  let cache: string;

  before(async () => {
    cache = await mkdtemp(join(tmpdir(), 'probe-cache-'));
    files = await startFileServer();
    archive = await archiveOf('sentiment-v1');
    const held = await startHeldRuntime({ files, path: '/m.tar.gz', archive, cacheDir: cache });
    runtime = held.server;
    port = held.port;
    loading = held.loading;
  });
  after(async () => {
    files?.resume('/m.tar.gz');
    await loading?.catch(() => undefined);
    await runtime?.shutdown(0);
    await files?.close();
    if (cache) await rm(cache, { recursive: true, force: true });
  });

  it('hears the fetch while the file is held, then the finished one, enqueueing the version on each change', async () => {
    const changed: string[] = [];
    const pod = runtimePod('sentiment-v1-abc', downloading('127.0.0.1').status, port);
    const prober = new DownloadProber({
      pods: () => [pod],
      onChange: (owner) => changed.push(owner),
      logger: pino({ level: 'silent' }),
      intervalMs: 1000,
      timeoutMs: 2000,
      concurrency: 4,
    });
    // The runtime reports bytes at most every 500 ms: ask until the held bytes show.
    await eventually(async () => {
      await prober.tick();
      return prober.get('ns/sentiment-v1-abc')?.bytesDownloaded === HELD_BYTES ? true : undefined;
    }, 'the held bytes');
    expect(prober.get('ns/sentiment-v1-abc')).to.deep.equal({
      state: 'downloading',
      bytesDownloaded: HELD_BYTES,
      bytesTotal: archive.bytes.length,
    });
    expect(changed.at(-1)).to.equal('ns/sentiment-v1');
    const before = changed.length;
    await prober.tick();
    expect(changed.length, 'an unchanged answer enqueues nothing').to.equal(before);

    files.resume('/m.tar.gz');
    await loading;
    await prober.tick();
    expect(prober.get('ns/sentiment-v1-abc')).to.deep.equal({
      state: 'ready',
      bytesDownloaded: archive.bytes.length,
      bytesTotal: archive.bytes.length,
    });
    expect(changed.length).to.equal(before + 1);
  });

  it('keeps what it knew when a runtime does not answer, and forgets pods that are gone or ready', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    let pods = [
      runtimePod('up', downloading('127.0.0.1').status, port),
      runtimePod('down', downloading('127.0.0.1').status, closed),
    ];
    const prober = new DownloadProber({
      pods: () => pods,
      onChange: () => undefined,
      logger: pino({ level: 'silent' }),
      intervalMs: 1000,
      timeoutMs: 500,
      concurrency: 1,
    });
    await prober.tick();
    expect(prober.get('ns/up')?.state).to.equal('ready');
    expect(prober.get('ns/down')).to.equal(undefined);
    pods = [];
    await prober.tick();
    expect(prober.get('ns/up')).to.equal(undefined);
  });
});
