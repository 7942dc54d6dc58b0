import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { pino } from 'pino';
import { RuntimeSupervisor, stopGraceMsFor } from '../../../operator/src/local/supervisor.js';
import { eventually } from '../../support/eventually.js';

describe('operator/local: RuntimeSupervisor', () => {
  const cases: [Record<string, string>, number][] = [
    [{}, 15_000],
    [{ DRAIN_GRACE_SECONDS: '30' }, 35_000],
    [{ DRAIN_DELAY_SECONDS: '5', DRAIN_GRACE_SECONDS: '20' }, 30_000],
    [{ DRAIN_DELAY_SECONDS: '0.5', DRAIN_GRACE_SECONDS: '1.5' }, 7000],
    [{ DRAIN_GRACE_SECONDS: 'soon', DRAIN_DELAY_SECONDS: '' }, 15_000],
  ];
  for (const [env, ms] of cases) {
    it(`given ${JSON.stringify(env)}, waits ${ms} ms between SIGTERM and SIGKILL (drain delay + grace + 5 s)`, () => {
      expect(stopGraceMsFor(env)).to.equal(ms);
    });
  }

  it('ignores IPC messages it does not know and reads the metrics port and download state (a real child)', async function () {
    this.timeout(30_000);
    const supervisor = new RuntimeSupervisor({
      logger: pino({ level: 'silent' }),
      entry: fileURLToPath(new URL('./fixtures/future-runtime.ts', import.meta.url)),
      output: 'ignore',
    });
    const spec = { key: 'm-v1/0', versionName: 'm-v1', model: 'm', version: 'v1', env: {}, hash: 'h' };
    await supervisor.apply('m-v1', [spec]);
    try {
      const state = await eventually(async () => {
        const s = supervisor.states()[0];
        return s?.phase === 'Ready' ? s : undefined;
      }, 'Ready');
      expect(state).to.deep.include({
        phase: 'Ready',
        port: 41001,
        metricsPort: 41002,
        restarts: 0,
        download: { state: 'cached', bytesDownloaded: 0, bytesTotal: 0 },
      });
      expect(state.lastFailure).to.equal(undefined);
    } finally {
      await supervisor.stopAll();
    }
  });
});
