/**
 * `helm test`: the test hook pod (the router's image running files/helm-test.mjs) as rendered by the real helm,
 * and that script itself run by node against a stand-in router.
 */
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireCluster } from '../support/cluster.js';
import { CHART, renderChart } from './helm.js';

describe('charts/paissive: helm test', function () {
  this.timeout(60_000);
  const render = (...set: string[]) => renderChart('hy', 'paissive', set);

  describe('helm test', () => {
    const testPod = async (...set: string[]) =>
      (await render(...set)).find(
        (o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test',
      );

    // Only rendering needs the cluster (its helm); the script runs without one.
    it("is a test hook pod running the chart's script with the router's own image", async function () {
      requireCluster(this);
      const pod = await testPod();
      const router = (await render()).find(
        (o) => o.kind === 'Deployment' && o.metadata.name === 'hy-paissive-router',
      );
      const [container] = pod.spec.containers;
      expect(container.image).to.equal(router.spec.template.spec.containers[0].image);
      expect(container.command).to.deep.equal(['node', '--input-type=module', '-e']);
      expect(container.args).to.deep.equal([await readFile(join(CHART, 'files/helm-test.mjs'), 'utf8')]);
      const vars = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
      expect(vars).to.deep.equal({
        ROUTER_URL: 'http://hy-paissive-router.paissive.svc:80',
        TIMEOUT_SECONDS: '60',
      });
      expect(pod.spec.restartPolicy).to.equal('Never');
      expect(pod.metadata.labels['app.kubernetes.io/component']).to.equal('helm-test');
      expect(container.securityContext).to.deep.include({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });

      const keyed = (await testPod('router.apiKeys.existingSecret=router-keys')).spec;
      expect(keyed.containers[0].env).to.deep.include({
        name: 'KEYS_FILE',
        value: '/etc/paissive/api-keys/keys',
      });
      expect(keyed.volumes).to.deep.equal([{ name: 'api-keys', secret: { secretName: 'router-keys' } }]);
      expect(await testPod('tests.enabled=false')).to.equal(undefined);
      expect(await testPod('router.enabled=false')).to.equal(undefined);
    });

    describe('the script, against a router stand-in', () => {
      let server: Server;
      let url: string;
      let readyAfter = 0;
      const seen: string[] = [];
      before(async () => {
        server = createServer((req, res) => {
          seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
          if (req.url === '/readyz') {
            res.writeHead(readyAfter-- > 0 ? 503 : 200).end('{}');
          } else if (
            req.url === '/v1/models' &&
            req.headers.authorization === 'Bearer reader-key-0123456789'
          ) {
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end('{"object":"list","data":[{"id":"m"}]}');
          } else res.writeHead(401).end('{"error":{"code":"unauthorized"}}');
        });
        await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
        url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      });
      const files: string[] = [];
      after(async () => {
        await new Promise<void>((ok) => server.close(() => ok()));
        for (const file of files) await rm(file, { force: true });
      });
      /** The router's keys Secret as the test pod sees it: one file. */
      const keysFile = async (text: string) => {
        const file = join(tmpdir(), `helm-test-keys-${process.pid}-${files.length}`);
        files.push(file);
        await writeFile(file, text);
        return file;
      };
      beforeEach(() => {
        seen.length = 0;
      });

      const script = async (vars: Record<string, string>) => {
        const source = await readFile(join(CHART, 'files/helm-test.mjs'), 'utf8');
        return new Promise<{ code: number | null; output: string }>((ok) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
            env: { PATH: process.env.PATH, ROUTER_URL: url, ...vars },
          });
          let output = '';
          child.stdout.on('data', (d) => (output += d));
          child.stderr.on('data', (d) => (output += d));
          child.on('close', (code) => ok({ code, output }));
        });
      };

      it('waits for /readyz; with no keys it stops there', async () => {
        readyAfter = 2;
        const { code, output } = await script({});
        expect(output).to.include('/readyz');
        expect(code).to.equal(0);
        expect(seen).to.deep.equal(['/readyz ', '/readyz ', '/readyz ']);
      });

      it('lists /v1/models with the first key of the Secret that may read models', async () => {
        const { code, output } = await script({
          KEYS_FILE: await keysFile(
            '# callers\nops:admin-key-0123456789:usage:all\nteam:reader-key-0123456789:inference,models:read\n',
          ),
        });
        expect(output).to.include('/v1/models (1 models)');
        expect(code).to.equal(0);
        expect(seen.at(-1)).to.equal('/v1/models Bearer reader-key-0123456789');
      });

      it('fails naming the endpoint when the router never gets ready or refuses the key', async () => {
        readyAfter = 1_000;
        const slow = await script({ TIMEOUT_SECONDS: '1' });
        expect(slow.code).to.equal(1);
        expect(slow.output).to.match(/FAIL .*\/readyz never answered 200 \(last: 503/);
        readyAfter = 0;
        const refused = await script({ KEYS_FILE: await keysFile('team:wrong-key-0123456789\n') });
        expect(refused.code).to.equal(1);
        expect(refused.output).to.include('FAIL /v1/models answered 401');
      });
    });
  });
});
