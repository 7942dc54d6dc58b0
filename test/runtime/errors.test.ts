import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  ArtifactInvalidError,
  ContextWindowExceededError,
  EngineError,
  InvalidParameterError,
  InvalidTensorError,
  isRetryableStatus,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotReadyError,
  RuntimeCallError,
  ShuttingDownError,
  toGrpcStatus,
  UnsupportedTaskError,
} from '../../runtime/src/errors.js';

describe('runtime errors', () => {
  const cases: [Error, status, string, boolean][] = [
    [
      new ArtifactInvalidError('file:///x', 'sha256 mismatch'),
      status.FAILED_PRECONDITION,
      'ArtifactInvalid: sha256 mismatch',
      false,
    ],
    [new ModelLoadFailedError('bad graph'), status.INTERNAL, 'ModelLoadFailed: bad graph', false],
    [
      new ModelNotFoundError({ name: 'a', version: 'v2' }, { name: 'b', version: 'v1' }),
      status.NOT_FOUND,
      "ModelNotFound: model 'a' version 'v2' is not served here (this runtime serves 'b' version 'v1')",
      false,
    ],
    [new ModelNotReadyError('loading'), status.UNAVAILABLE, 'ModelNotReady: loading', true],
    [new ShuttingDownError(), status.UNAVAILABLE, 'ShuttingDown: the runtime is shutting down', true],
    [new InvalidTensorError('bad shape'), status.INVALID_ARGUMENT, 'InvalidTensor: bad shape', false],
    [
      new InvalidParameterError('top_p', 'must be in (0, 1]'),
      status.INVALID_ARGUMENT,
      "InvalidParameter: parameter 'top_p' must be in (0, 1]",
      false,
    ],
    [new UnsupportedTaskError('nope'), status.INVALID_ARGUMENT, 'UnsupportedTask: nope', false],
    [
      new ContextWindowExceededError(9, 8, 'the text'),
      status.INVALID_ARGUMENT,
      "ContextWindowExceeded: the text has 9 tokens but the model's context window holds 8",
      false,
    ],
    [new EngineError('ort failed'), status.INTERNAL, 'EngineFailure: ort failed', true],
    [new Error('boom'), status.INTERNAL, 'Internal: boom', false],
  ];
  for (const [error, code, details, retryable] of cases) {
    it(`given ${error.constructor.name}, maps to ${status[code]} "${details}"`, () => {
      expect(toGrpcStatus(error)).to.deep.equal({ code, details });
      if ('retryable' in error) expect(error.retryable).to.equal(retryable);
    });
  }

  const statuses: [status, boolean][] = [
    [status.UNAVAILABLE, true],
    [status.DEADLINE_EXCEEDED, true],
    [status.RESOURCE_EXHAUSTED, true],
    [status.INTERNAL, true],
    [status.ABORTED, true],
    [status.INVALID_ARGUMENT, false],
    [status.NOT_FOUND, false],
    [status.FAILED_PRECONDITION, false],
    [status.CANCELLED, false],
  ];
  for (const [code, retryable] of statuses) {
    it(`given status ${status[code]}, a caller ${retryable ? 'may' : 'may not'} retry`, () => {
      expect(isRetryableStatus(code)).to.equal(retryable);
      const error = new RuntimeCallError(code, 'x');
      expect(error.code).to.equal(status[code]);
      expect(error.retryable).to.equal(retryable);
    });
  }
});
