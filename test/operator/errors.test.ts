import { expect } from 'chai';
import { KubeApiError } from '../../kube/src/client.js';
import {
  ApiServerUnavailableError,
  ApplyConflictError,
  ArtifactInvalidError,
  ArtifactUnavailableError,
  ConfigInvalidError,
  FAILURES,
  ForbiddenError,
  GPUUnavailableError,
  InvalidSpecError,
  isRetryable,
  ModelLoadFailedError,
  type OperatorError,
  runtimeFailureReason,
  toOperatorError,
  UnexpectedError,
} from '../../operator/src/errors.js';
import { EXIT_CODES } from '../../runtime/src/lifecycle.js';

const api = (status: number, reason: string) =>
  new KubeApiError(status, reason, `PATCH /x: ${status} ${reason}`);
const errno = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), { code });

describe('operator/errors: the failures table', () => {
  const classified: [string, unknown, string, boolean][] = [
    ['409 Conflict', api(409, 'Conflict'), 'ApplyConflict', true],
    ['422 Invalid', api(422, 'Invalid'), 'InvalidSpec', false],
    ['400 BadRequest', api(400, 'BadRequest'), 'InvalidSpec', false],
    ['403 Forbidden', api(403, 'Forbidden'), 'Forbidden', false],
    ['401 Unauthorized', api(401, 'Unauthorized'), 'Forbidden', false],
    ['429 TooManyRequests', api(429, 'TooManyRequests'), 'ApiServerUnavailable', true],
    ['503 ServiceUnavailable', api(503, 'ServiceUnavailable'), 'ApiServerUnavailable', true],
    ['500 InternalError', api(500, 'InternalError'), 'ApiServerUnavailable', true],
    ['404 NotFound', api(404, 'NotFound'), 'Unexpected', true],
    ['ECONNREFUSED', errno('ECONNREFUSED'), 'ApiServerUnavailable', true],
    ['ECONNRESET', errno('ECONNRESET'), 'ApiServerUnavailable', true],
    ['a request timeout', new Error('PATCH /apis/apps/v1/x timed out'), 'ApiServerUnavailable', true],
    ['any other Error', new Error('boom'), 'Unexpected', true],
    ['a string', 'boom', 'Unexpected', true],
  ];
  for (const [what, err, code, retryable] of classified) {
    it(`given ${what}, classifies it as ${code} (${retryable ? 'retry with backoff' : 'wait for a change'})`, () => {
      const e = toOperatorError(err);
      expect(e).to.include({ code, retryable, reason: 'ApplyFailed' });
      expect(isRetryable(err)).to.equal(retryable);
      if (err instanceof Error) expect(e.cause).to.equal(err);
    });
  }

  it('keeps an OperatorError as it is', () => {
    const e = new InvalidSpecError('not a decimal quantity: 1Ki');
    expect(toOperatorError(e)).to.equal(e);
  });

  const classes: [OperatorError, string, boolean, string][] = [
    [new ApplyConflictError('x'), 'ApplyConflict', true, 'ApplyFailed'],
    [new ApiServerUnavailableError('x'), 'ApiServerUnavailable', true, 'ApplyFailed'],
    [new InvalidSpecError('x'), 'InvalidSpec', false, 'ApplyFailed'],
    [new ForbiddenError('x'), 'Forbidden', false, 'ApplyFailed'],
    [new UnexpectedError('x'), 'Unexpected', true, 'ApplyFailed'],
    [new ConfigInvalidError('x'), 'ConfigInvalid', false, 'ConfigInvalid'],
    [new ArtifactInvalidError('x'), 'ArtifactInvalid', false, 'ArtifactInvalid'],
    [new ModelLoadFailedError('x'), 'ModelLoadFailed', false, 'ModelLoadFailed'],
    [new ArtifactUnavailableError('x'), 'ArtifactUnavailable', true, 'ArtifactUnavailable'],
    [new GPUUnavailableError('x'), 'GPUUnavailable', false, 'GPUUnavailable'],
  ];
  for (const [e, code, retryable, reason] of classes) {
    it(`${e.name}: code ${code}, ${retryable ? 'retryable' : 'terminal'}, condition reason ${reason}`, () => {
      expect(e).to.include({ code, retryable, reason, name: e.constructor.name });
    });
  }

  it('has a class for every row', () => {
    expect(classes.map(([e]) => e.code).sort()).to.deep.equal(Object.keys(FAILURES).sort());
  });

  it("agrees with the runtime's exit codes (runtime/src/lifecycle.ts EXIT_CODES)", () => {
    const rows = Object.entries(FAILURES).flatMap(([code, row]) =>
      'exitCode' in row ? [[code, row.exitCode]] : [],
    );
    const runtime = Object.entries(EXIT_CODES).filter(([code]) => code !== 'ok' && code !== 'BindFailed');
    expect(Object.fromEntries(rows)).to.deep.equal(Object.fromEntries(runtime));
  });
});

describe('operator/errors: runtimeFailureReason', () => {
  const cases: [number | null, string, string | undefined][] = [
    [5, '', 'ArtifactUnavailable'],
    [6, '', 'GPUUnavailable'],
    [2, '', 'ConfigInvalid'],
    [3, 'ArtifactUnavailable: s3 kept failing', 'ArtifactUnavailable'],
    [1, 'GPUUnavailable: CUDA execution provider not available', 'GPUUnavailable'],
    [1, 'BindFailed: port in use', undefined],
    [137, '', undefined],
    [null, '', undefined],
  ];
  for (const [code, message, reason] of cases) {
    it(`given exit ${code} and ${JSON.stringify(message)}, reads ${reason ?? 'no named reason (a crash)'}`, () => {
      expect(runtimeFailureReason(code, message)).to.equal(reason);
    });
  }
});
