/**
 * Validation of request parts against zod schemas, failing with one ValidationError that lists every
 * problem with its path.
 * @module
 */
import type { z } from 'zod';
import { ValidationError } from '../errors.js';

export interface Problem {
  readonly path: string;
  readonly message: string;
}

export function problemsOf(error: z.ZodError, prefix: string): Problem[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    // zod reports unknown keys on the parent; name each key so the client sees which field to remove.
    if (issue.code === 'unrecognized_keys') {
      return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` };
    }
    return { path: path || prefix, message: issue.message };
  });
}

/** Parses `value` or throws ValidationError; `part` names where it came from (body, query). */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: 'body' | 'query' | 'path',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error, part);
  const first = problems[0];
  const summary = first ? `${first.path}: ${first.message}` : `invalid ${part}`;
  const more =
    problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new ValidationError(`Invalid request ${part}: ${summary}${more}`, { problems });
}
