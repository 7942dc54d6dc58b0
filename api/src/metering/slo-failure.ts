/**
 * Which failed requests count against a version's SLO. A version answers for what it did with the
 * requests it got, not for requests the router refused before they reached it or for clients' mistakes.
 * @module
 */
import { GuardrailUnavailableError, toApiError, UpstreamRejectedError } from '../errors.js';

/**
 * - `upstream`: the request reached routing and failed on the server side: the runtime or upstream failed,
 *   timed out or was unavailable (502, 503, 504), a stream broke after its first event, or the router
 *   failed (500). A request and an error of its version.
 * - `rejected`: the version (its runtime or upstream) answered that the request is invalid (a 4xx of its
 *   own, `rejected_by_model`). A request of its version, not an error.
 * - `refused`: the router refused or the client left, whatever the version could have done: rate limits,
 *   budgets and spend limits (429), guardrail blocks (400/422) and an unreachable guardrail service (503),
 *   validation (400), an unknown version (404), a client that hung up (499). Not counted for the version.
 */
export type FailureClass = 'upstream' | 'rejected' | 'refused';

export function failureClass(err: unknown): FailureClass {
  const error = toApiError(err);
  if (error instanceof UpstreamRejectedError) return 'rejected';
  if (error.status >= 500 && !(error instanceof GuardrailUnavailableError)) return 'upstream';
  return 'refused';
}
