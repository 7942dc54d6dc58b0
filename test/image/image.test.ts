/**
 * The image, built from the real Dockerfile and run with podman (docs/image.md "Proof on this machine"): the
 * base is made from Debian packages (hack/image/local-base.sh, cached) because the pinned Node image cannot be
 * pulled here. Then, from the image, a runtime the way the operator runs one (no args, its env, a read-only
 * root) answers a gRPC embed, and the router in local mode (its own runtime processes) answers
 * /v1/embeddings. Skipped, saying why, without buildah and podman (`make image-tools` installs them).
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { RuntimeClient } from '../../runtime/src/client/index.js';
import { eventually } from '../support/eventually.js';
import { childPids, freePort, onPath, type Podman, podman, processIds, ROOT, run } from './podman.js';

const IMAGE = 'localhost/paissive';
const TAG = 'image-test';
const REF = `${IMAGE}:${TAG}`;
const MODELS = join(ROOT, 'models/build');
const name = (what: string) => `paissive-image-test-${what}-${process.pid}`;

async function embedderSha256(): Promise<string> {
  const docs = parseAllDocuments(await readFile(join(ROOT, 'examples/sentence-embedder.yaml'), 'utf8'));
  const version = docs.map((d) => d.toJS()).find((d) => d.kind === 'ModelVersion');
  return version.spec.artifact.sha256 as string;
}

describe('the image (buildah build, podman run)', function () {
  this.timeout(30 * 60_000);
  let pm: Podman;
  let manifests: string | undefined;
  const containers: string[] = [];

  const podmanRun = async (container: string, flags: string[], args: string[] = []) => {
    containers.push(container);
    await run('podman', [
      ...pm.global,
      'run',
      '--detach',
      '--name',
      container,
      ...pm.run,
      ...flags,
      REF,
      ...args,
    ]);
    return Number(await run('podman', ['inspect', '--format', '{{.State.Pid}}', container]));
  };

  /** Throws the container's log when it has stopped: no point waiting for it. */
  const stillRunning = async (container: string) => {
    if ((await run('podman', ['inspect', '--format', '{{.State.Running}}', container])) === 'true') return;
    throw new Error(`${container} exited: ${(await run('podman', ['logs', container])).slice(-2000)}`);
  };

  before(async function () {
    const missing = [];
    for (const tool of ['buildah', 'podman']) if (!(await onPath(tool))) missing.push(tool);
    if (missing.length) {
      console.log(`      skipped: ${missing.join(' and ')} not on PATH (make image-tools installs them)`);
      this.skip();
    }
    if (!(await onPath('debootstrap')) && !(await onPath('runc')))
      console.log('      note: neither debootstrap nor runc found; the cached base and crun must do');
    pm = await podman();
    const started = Date.now();
    const base = await run('bash', ['hack/image/local-base.sh']);
    const baseSeconds = (Date.now() - started) / 1000;
    // chroot isolation: RUN steps need no OCI runtime or cgroups (a container here has neither to spare).
    const ref = await run('bash', ['hack/image/build.sh', 'cpu'], {
      BASE_IMAGE: base,
      IMAGE,
      TAG,
      BUILDER: 'buildah',
      BUILD_FLAGS: '--isolation chroot',
    });
    expect(ref).to.equal(REF);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      image ${REF} on ${base}: base ${baseSeconds.toFixed(1)} s, build ${(seconds - baseSeconds).toFixed(1)} s`,
    );
  });

  after(async () => {
    for (const container of containers)
      await run('podman', ['rm', '--force', container]).catch(() => undefined);
    if (manifests) await rm(manifests, { recursive: true, force: true });
  });

  it('has the OCI labels, the numeric user, node as entrypoint and the runtime as command', async () => {
    const [config] = JSON.parse(await run('podman', ['image', 'inspect', REF])) as {
      Config: { User: string; Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string> };
    }[];
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(config?.Config.User).to.equal('10001:10001');
    expect(config?.Config.Entrypoint).to.deep.equal(['node']);
    expect(config?.Config.Cmd).to.deep.equal(['dist/runtime/src/main.js']);
    expect(config?.Config.Labels).to.include({
      'org.opencontainers.image.title': 'paissive',
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
    // The commit it was built from (others may have committed since): one this repository has.
    const revision = config?.Config.Labels['org.opencontainers.image.revision'] ?? '';
    expect(revision).to.match(/^[0-9a-f]{40}(-dirty)?$/);
    await run('git', ['cat-file', '-e', `${revision.slice(0, 40)}^{commit}`]);
  });

  it("holds onnxruntime's binaries for this platform only", async () => {
    const listing = await run('podman', [
      ...pm.global,
      'run',
      '--rm',
      ...pm.run,
      REF,
      '-e',
      `const fs = require('node:fs'); const bin = 'node_modules/onnxruntime-node/bin/napi-v6';
       console.log(fs.readdirSync(bin, { recursive: true }).join('\\n'))`,
    ]);
    const arch = process.arch === 'x64' ? 'x64' : process.arch;
    expect(listing.split('\n').sort()).to.deep.equal(
      [
        'linux',
        `linux/${arch}`,
        `linux/${arch}/libonnxruntime.so.1`,
        `linux/${arch}/onnxruntime_binding.node`,
      ].sort(),
    );
  });

  /** A runtime container as the operator's pod runs one: no args, its variables, a read-only root. */
  const runtimeFlags = async (grpc: number, metrics: number, env: string[] = []) => [
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--volume',
    `${MODELS}:/models:ro`,
    ...['--env', 'MODEL_NAME=sentence-embedder', '--env', 'MODEL_VERSION=v1'],
    ...['--env', 'MODEL_ARTIFACT_URI=file:///models/sentence-embedder-v1'],
    ...['--env', `MODEL_ARTIFACT_SHA256=${await embedderSha256()}`, '--env', 'MODEL_CACHE_DIR=/tmp/models'],
    ...['--env', 'GRPC_HOST=127.0.0.1', '--env', `GRPC_PORT=${grpc}`, '--env', `METRICS_PORT=${metrics}`],
    ...['--env', 'TERMINATION_MESSAGE_PATH=/tmp/termination-log', ...env.flatMap((e) => ['--env', e])],
  ];

  it('runs a runtime as the operator does (no args, read-only root) that embeds over gRPC as uid 10001', async () => {
    const [grpc, metrics] = [await freePort(), await freePort()];
    const pid = await podmanRun(name('runtime'), await runtimeFlags(grpc, metrics));
    expect(processIds(pid)).to.deep.equal({ uid: 10001, gid: 10001 });
    const client = new RuntimeClient(`127.0.0.1:${grpc}`);
    try {
      await eventually(
        async () => {
          if (await client.serverReady().catch(() => false)) return true;
          await stillRunning(name('runtime'));
        },
        'the runtime ready',
        60_000,
      );
      const result = await client.embed({ model: 'sentence-embedder', texts: ['the cat sat on the mat'] });
      expect(result.embeddings).to.have.length(1);
      expect(result.embeddings[0]).to.have.length(48);
    } finally {
      client.close();
    }
    const readyz = await fetch(`http://127.0.0.1:${metrics}/readyz`);
    expect(readyz.status).to.equal(200);
  });

  it('refuses CUDA without the provider: EXECUTION_PROVIDER=cuda exits 6, GPUUnavailable, on the CPU image', async () => {
    const container = name('cuda');
    await podmanRun(
      container,
      await runtimeFlags(await freePort(), await freePort(), ['EXECUTION_PROVIDER=cuda']),
    );
    expect(await run('podman', ['wait', container])).to.equal('6');
    expect(await run('podman', ['logs', container])).to.include('GPUUnavailable');
  });

  it('runs the router in local mode that serves /v1/embeddings from its runtimes and /dashboard, all as uid 10001', async () => {
    // Local mode from the image: a manifest folder mounted in, its artifact pointing at the mounted models.
    manifests = await mkdtemp(join(tmpdir(), 'image-test-'));
    await chmod(manifests, 0o755); // mkdtemp's 0700 would keep the image's user out
    const yaml = await readFile(join(ROOT, 'examples/sentence-embedder.yaml'), 'utf8');
    await writeFile(
      join(manifests, 'sentence-embedder.yaml'),
      yaml.replace('file:../models/build', 'file:///models'),
    );
    const port = await freePort();
    const pid = await podmanRun(
      name('router'),
      [
        ...['--volume', `${MODELS}:/models:ro`, '--volume', `${manifests}:/manifests:ro`],
        ...['--env', 'MODELS_DIR=/manifests', '--env', `PORT=${port}`, '--env', 'HOST=127.0.0.1'],
        ...['--env', 'OPENAI_API_KEY=', '--env', 'LOG_LEVEL=warn'],
      ],
      ['dist/api/src/main.js'],
    );
    const url = `http://127.0.0.1:${port}`;
    await eventually(
      async () => {
        if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) return true;
        await stillRunning(name('router'));
      },
      'the router ready',
      90_000,
    );
    const res = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sentence-embedder', input: ['the cat sat on the mat'] }),
    });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { data: { embedding: number[] }[] };
    expect(body.data[0]?.embedding).to.have.length(48);
    // The dashboard's page and scripts are read from the source tree at run time, not from dist/.
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<html');
    const runtimes = childPids(pid);
    expect(runtimes).to.not.be.empty;
    for (const p of [pid, ...runtimes]) expect(processIds(p)).to.deep.equal({ uid: 10001, gid: 10001 });
  });
});
