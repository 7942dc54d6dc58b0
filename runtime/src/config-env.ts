/**
 * zod pieces for reading environment variables: blanks as unset, integers, byte sizes, booleans, choices.
 *
 * Kept apart from `config.ts` so that the schema there reads as a list of variables, not of parsing rules.
 * @module
 */
import { z } from 'zod';

/** Kubernetes sets absent-but-declared variables to ""; treat that as unset so defaults apply. */
export const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** An integer variable in [min, max]; `what` ends the error message. */
export function intVar(min: number, max: number, what: string) {
  const message = `must be an integer from ${min} to ${max} (${what})`;
  return z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, {
      error: message,
    }),
  );
}

/** A number of seconds, 0 or more (fractions allowed), turned into milliseconds; defaults are given in ms. */
export function secondsVar(what: string) {
  const message = `must be a number of seconds, 0 or more (${what})`;
  return z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: message })
      .min(0, { error: message })
      .max(86_400, { error: message })
      .transform((s) => Math.round(s * 1000)),
  );
}

/** Byte multipliers of the size suffixes (the operator reads Kubernetes quantities with them too). */
export const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A byte size: a plain integer or a Kubernetes quantity with a binary or decimal suffix (`10Gi`, `500M`). */
export function bytesVar(what: string) {
  const message = `must be a size in bytes, e.g. 1073741824, 10Gi or 500M (${what})`;
  return z.preprocess(
    blankToUndefined,
    z
      .string({ error: message })
      .regex(/^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$/, { error: message })
      .transform((text) => {
        const [, digits, unit = ''] = /^(\d+)(\D*)$/.exec(text) as RegExpExecArray;
        return Number(digits) * (BYTE_UNITS[unit] as number);
      })
      .refine((n) => Number.isSafeInteger(n) && n > 0, { error: message }),
  );
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`), case-insensitive. */
export function boolVar(what: string) {
  const message = `must be true or false (${what})`;
  return z.preprocess(
    blankToUndefined,
    z
      .string({ error: message })
      .regex(/^(true|false|1|0|yes|no)$/i, { error: message })
      .transform((text) => /^(true|1|yes)$/i.test(text)),
  );
}

/** An absolute http(s) URL. */
export function urlVar(what: string) {
  const message = `must be an http:// or https:// URL (${what})`;
  return z.preprocess(
    blankToUndefined,
    z.string({ error: message }).regex(/^https?:\/\/[^\s/]+/, { error: message }),
  );
}
