import { expect } from 'chai';
import { BackendError, type FailureKind } from '../../../api/src/backends/backend.js';
import { fromBackendError } from '../../../api/src/errors.js';
import {
  FAILURE_POLICY,
  kindOfUpstreamStatus,
  openaiTypeOfStatus,
} from '../../../api/src/routing/failure-policy.js';
import { movesToNextTarget } from '../../../api/src/routing/fallback-chain.js';
import { DEFAULT_RETRY, retryDelay } from '../../../api/src/routing/retry.js';

describe('api/routing: one failure policy that every layer reads', () => {
  const kinds = Object.keys(FAILURE_POLICY) as FailureKind[];

  for (const kind of kinds) {
    const policy = FAILURE_POLICY[kind];
    it(`given ${kind}: retry ${policy.retrySameTarget}, next ${policy.nextTarget}, status ${policy.status}, and the layers agree`, () => {
      const err = new BackendError(kind, 'x');
      expect(retryDelay(err, 1, DEFAULT_RETRY, 60_000, () => 0) !== undefined).to.equal(
        policy.retrySameTarget,
      );
      expect(movesToNextTarget(kind)).to.equal(policy.nextTarget);
      expect(fromBackendError(err).status).to.equal(policy.status);
      expect(fromBackendError(err).toOpenAIBody().error.type).to.equal(policy.openaiType);
    });
  }

  const statuses: [number, FailureKind][] = [
    [400, 'rejected'],
    [422, 'rejected'],
    [401, 'misconfigured'],
    [404, 'misconfigured'],
    [408, 'timeout'],
    [429, 'overloaded'],
    [500, 'upstream_error'],
    [503, 'upstream_error'],
  ];
  for (const [status, kind] of statuses) {
    it(`reads an upstream's ${status} as ${kind}`, () => expect(kindOfUpstreamStatus(status)).to.equal(kind));
  }

  it("gives the router's statuses OpenAI's error types", () => {
    expect([400, 401, 403, 404, 413, 429, 500, 503].map(openaiTypeOfStatus)).to.deep.equal([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'invalid_request_error',
      'rate_limit_error',
      'server_error',
      'server_error',
    ]);
  });

  it("keeps an upstream's own 4xx status and error object for a passthrough client", () => {
    const err = fromBackendError(
      new BackendError('rejected', 'bad', {
        upstream: {
          status: 422,
          error: { message: 'nope', type: 'invalid_request_error', param: 'tools', code: 'x' },
        },
      }),
    );
    expect(err.status).to.equal(422);
    expect(err.toOpenAIBody().error).to.include({ message: 'nope', param: 'tools', code: 'x' });
  });
});
