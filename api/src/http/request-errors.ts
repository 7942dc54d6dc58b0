/**
 * Failures of the request itself that the HTTP layer finds before any route runs (the path, the transport).
 * Kept beside the HTTP plumbing that raises them; each is an ApiError, so it answers in the one error shape.
 * @module
 */
import { ApiError } from '../errors.js';

/** A path parameter is not valid percent-encoding (`/api/models/%zz`), so it names nothing. */
export class InvalidPathError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_path';
}
