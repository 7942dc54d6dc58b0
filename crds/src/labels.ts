/**
 * The labels the operator writes on a ModelVersion's children and the router selects by: a contract between
 * the two parts, like the CRDs themselves, so it lives here where both import it without the router
 * importing the operator (kube/ stays free of anything ai.paissive.io-specific).
 * @module
 */

/** The operator's server-side-apply field manager, event source and the managed-by label's value. */
export const FIELD_MANAGER = 'paissive-operator';
export const LABEL_MODEL_VERSION = 'ai.paissive.io/modelversion';
export const LABEL_MODEL = 'ai.paissive.io/model';
export const LABEL_VERSION = 'ai.paissive.io/version';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Every child the operator manages (Deployments, Services, Pods, EndpointSlices copied from Services). */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`;
