import { expect } from 'chai';
import { BackendError, type RouteTarget } from '../../../api/src/backends/backend.js';
import {
  ModelUnavailableError,
  UnsupportedParameterError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../../../api/src/errors.js';
import { executeChain } from '../../../api/src/routing/execute-chain.js';
import type { FallbackChain } from '../../../api/src/routing/fallback-chain.js';
import { DEFAULT_RETRY } from '../../../api/src/routing/retry.js';
import { catalogModel, catalogVersion } from '../support/catalog.js';

const step = (name: string, ready = true, fallback = false) => ({
  target: { model: catalogModel(name, []), version: catalogVersion('v1', { model: name, ready }) },
  fallback,
});
const chainOf = (...steps: ReturnType<typeof step>[]): FallbackChain => ({ steps, skipped: [] });
const later = () => Date.now() + 10_000;

describe('api/routing: executeChain', () => {
  it('given a failing first target, serves from the next and records both attempts', async () => {
    const calls: string[] = [];
    const result = await executeChain(
      chainOf(step('a'), step('b', true, true)),
      async (t: RouteTarget) => {
        calls.push(t.model.name);
        if (t.model.name === 'a') throw new BackendError('unavailable', 'connection refused');
        return 'ok';
      },
      { deadline: later(), retry: { ...DEFAULT_RETRY, attemptsPerTarget: 1 } },
    );
    expect(result.value).to.equal('ok');
    expect(result.step.fallback).to.equal(true);
    expect(calls).to.deep.equal(['a', 'b']);
    expect(result.attempts.map((a) => `${a.model}:${a.outcome}:${a.kind ?? ''}`)).to.deep.equal([
      'a:failed:unavailable',
      'b:succeeded:',
    ]);
  });

  it('skips targets that are not ready without calling them', async () => {
    const calls: string[] = [];
    const result = await executeChain(
      chainOf(step('a', false), step('b')),
      async (t) => calls.push(t.model.name),
      { deadline: later(), retry: { ...DEFAULT_RETRY, attemptsPerTarget: 1 } },
    );
    expect(calls).to.deep.equal(['b']);
    expect(result.attempts[0]).to.include({ model: 'a', outcome: 'skipped', reason: 'not ready' });
  });

  it('given a request the model rejects, stops at once with a 400 (another model would reject it too)', async () => {
    const calls: string[] = [];
    const run = executeChain(
      chainOf(step('a'), step('b')),
      async (t) => {
        calls.push(t.model.name);
        throw new BackendError('rejected', 'prompt too long');
      },
      { deadline: later(), retry: { ...DEFAULT_RETRY, attemptsPerTarget: 1 } },
    );
    await run.then(
      () => expect.fail('should reject'),
      (err: unknown) =>
        expect(err).to.be.instanceOf(UpstreamRejectedError).with.property('message', 'prompt too long'),
    );
    expect(calls).to.deep.equal(['a']);
  });

  it('given every target failing, fails with model_unavailable listing the attempts', async () => {
    const err = await executeChain(
      chainOf(step('a'), step('b')),
      async () => Promise.reject(new BackendError('upstream_error', 'boom')),
      { deadline: later(), retry: { ...DEFAULT_RETRY, attemptsPerTarget: 1 } },
    ).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ModelUnavailableError);
    expect((err as ModelUnavailableError).details).to.have.nested.property('attempts.length', 2);
  });

  it('given a deadline already passed, fails with upstream_timeout without calling anything', async () => {
    const err = await executeChain(chainOf(step('a')), async () => 'never', {
      deadline: Date.now() - 1,
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UpstreamTimeoutError);
  });
});

describe('api/routing: executeChain with targets that cannot honour the request', () => {
  const unsupported = (t: RouteTarget) =>
    t.model.name === 'runtime' ? new BackendError('unsupported', 'no tools', { param: 'tools' }) : undefined;

  it('given only targets that cannot honour it, answers 400 naming the parameter', async () => {
    const err = await executeChain(chainOf(step('runtime')), async () => 'never', {
      deadline: later(),
      refusal: unsupported,
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnsupportedParameterError).with.property('param', 'tools');
  });

  it('given a first choice that is down and a fallback that cannot honour it, is an outage (503), not the client’s mistake', async () => {
    const err = await executeChain(
      chainOf(step('remote', false), step('runtime', true, true)),
      async () => 'never',
      {
        deadline: later(),
        refusal: unsupported,
      },
    ).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ModelUnavailableError);
    const attempts = (err as ModelUnavailableError).details as {
      attempts: { model: string; reason: string }[];
    };
    expect(attempts.attempts.map((a) => `${a.model}:${a.reason}`)).to.deep.equal([
      'remote:not ready',
      'runtime:no tools',
    ]);
  });

  it('skips a target that cannot honour it and serves from the next, with the reason in attempts', async () => {
    const result = await executeChain(
      chainOf(step('runtime'), step('remote', true, true)),
      async (t) => t.model.name,
      {
        deadline: later(),
        refusal: unsupported,
      },
    );
    expect(result.value).to.equal('remote');
    expect(result.attempts[0]).to.include({ model: 'runtime', outcome: 'skipped', kind: 'unsupported' });
  });
});
