import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  ArtifactInvalidError,
  ArtifactUnavailableError,
  ConfigError,
  ContextWindowExceededError,
  EngineError,
  InvalidParameterError,
  InvalidTensorError,
  isRetryableStatus,
  ModelLoadFailedError,
  ModelNotFoundError,
  ModelNotReadyError,
  QueueFullError,
  RequestCancelledError,
  RuntimeCallError,
  type RuntimeError,
  ShuttingDownError,
  statusOfDetails,
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
    [
      new ArtifactUnavailableError('s3://b/k', 'GET s3://b/k: timed out (5 tries)'),
      status.UNAVAILABLE,
      'ArtifactUnavailable: GET s3://b/k: timed out (5 tries)',
      true,
    ],
    [
      new QueueFullError(512, 512, 1),
      status.RESOURCE_EXHAUSTED,
      "QueueFull: the model's queue is full: 512 rows wait and this request adds 1 (MAX_QUEUE_SIZE=512); retry later or on another replica",
      true,
    ],
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

  it('reads the status back from every code a stream error message can carry, and UNKNOWN from others', () => {
    const samples: RuntimeError[] = [
      new ConfigError(['X: bad']),
      new ArtifactInvalidError('u', 'x'),
      new ArtifactUnavailableError('u', 'x'),
      new QueueFullError(1, 1, 1),
      new ModelLoadFailedError('x'),
      new ModelNotFoundError({ name: 'a', version: '' }, { name: 'b', version: 'v1' }),
      new ModelNotReadyError('x'),
      new ShuttingDownError(),
      new InvalidTensorError('x'),
      new InvalidParameterError('p', 'x'),
      new UnsupportedTaskError('x'),
      new ContextWindowExceededError(2, 1, 'x'),
      new EngineError('x'),
      new RequestCancelledError(),
    ];
    for (const error of samples) {
      const { code, details } = toGrpcStatus(error);
      expect(statusOfDetails(details), error.code).to.equal(code);
    }
    expect(statusOfDetails('Internal: boom')).to.equal(status.INTERNAL);
    expect(statusOfDetails('model not found')).to.equal(status.UNKNOWN);
  });
});
