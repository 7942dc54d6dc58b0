/**
 * Kubernetes resource quantities in the CRDs: an integer (`cpu: 2`) or a string (`cpu: "500m"`, `4Gi`), as
 * the API server accepts them on a Pod.
 * @module
 */
import { z } from 'zod';

/**
 * The subset of Kubernetes' quantity grammar the operator reads (model-cache.ts turns it into bytes): no
 * sign, no exponent, no P/E suffixes, which a model's CPU, memory or cache size never needs.
 */
export const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/** An integer or a quantity string; the CRD gets `x-kubernetes-int-or-string` with the string's pattern. */
export const quantity = (field: string) => {
  const message = `${field} must be a whole number or a Kubernetes quantity such as 500m, 2 or 4Gi`;
  return z
    .union([z.number().int(message).min(0, message), z.string().regex(QUANTITY, message)], {
      error: message,
    })
    .meta({ 'x-kubernetes-int-or-string': true });
};
export type Quantity = number | string;

/** The string form Pod specs and comparisons use: `2` and `"2"` are the same quantity. */
export const quantityString = (q: Quantity): string => String(q);
