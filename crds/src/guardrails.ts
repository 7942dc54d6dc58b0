/**
 * AIModel.spec.guardrails: what the router refuses in a request (input) and hides or refuses in an answer
 * (output) of this model, on every path (REST, /v1, batch items, streams). Regular expressions are JavaScript
 * RegExp syntax; a leading `(?i)` is read as caseInsensitive, since JavaScript has no inline flags. The API
 * server can only bound their length; the router refuses a pattern that does not compile or nests
 * quantifiers (the classic catastrophic-backtracking shape) when it loads the model.
 * @module
 */
import { z } from 'zod';
import { dnsLabel } from './meta.js';
import { nestsQuantifiers } from './regex-shape.js';

/** Longest pattern accepted: long patterns are where catastrophic backtracking hides. */
export const MAX_PATTERN_LENGTH = 512;

/** A pattern's source and flags as JavaScript builds it (a leading `(?i)` becomes the `i` flag). */
export function patternSource(pattern: string, caseInsensitive = false): { source: string; flags: string } {
  const inline = pattern.startsWith('(?i)');
  return {
    source: inline ? pattern.slice(4) : pattern,
    flags: `g${caseInsensitive || inline ? 'i' : ''}`,
  };
}

/** Why a pattern is refused, or undefined when it is fine. */
export function patternProblem(pattern: string, caseInsensitive = false): string | undefined {
  const { source, flags } = patternSource(pattern, caseInsensitive);
  try {
    const re = new RegExp(source, flags);
    if (re.test('')) return 'pattern matches the empty string';
  } catch (err) {
    return `pattern does not compile: ${(err as Error).message}`;
  }
  if (nestsQuantifiers(source))
    return 'pattern nests quantifiers (such as (a+)+), which can take exponential time';
  return undefined;
}

const patternField = z
  .string()
  .min(1)
  .max(MAX_PATTERN_LENGTH)
  .describe('A JavaScript regular expression; a leading (?i) makes it case-insensitive');

/** The router compiles patterns when it loads a model: refuse one it cannot (or should not) run. */
function compiles(p: { pattern: string; caseInsensitive?: boolean | undefined }, ctx: z.RefinementCtx): void {
  const problem = patternProblem(p.pattern, p.caseInsensitive);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['pattern'] });
}

const ruleName = dnsLabel('guardrails rule name').describe(
  'The name errors, logs and metrics give this rule (never the matched text)',
);

export const guardrailPattern = z
  .object({
    name: ruleName.optional(),
    pattern: patternField,
    caseInsensitive: z.boolean().optional().describe('Match regardless of letter case'),
  })
  .superRefine(compiles);
export type GuardrailPattern = z.infer<typeof guardrailPattern>;

export const namedPattern = z
  .object({
    name: ruleName,
    pattern: patternField,
    caseInsensitive: z.boolean().optional().describe('Match regardless of letter case'),
  })
  .superRefine(compiles);

export const BUILTIN_DETECTORS = ['creditCard', 'usSsn', 'email', 'phone', 'iban', 'secret'] as const;
export const builtinDetector = z
  .enum(BUILTIN_DETECTORS)
  .describe(
    'creditCard (13-19 digits, Luhn-checked), usSsn (AAA-GG-SSSS, invalid ranges excluded), email, phone (with separators or +country code), iban (mod-97 checked), secret (API-key-like strings)',
  );
export type BuiltinDetector = z.infer<typeof builtinDetector>;

const detectorList = z
  .object({
    detectors: z
      .array(builtinDetector)
      .max(BUILTIN_DETECTORS.length)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .optional()
      .describe('Built-in detectors'),
    patterns: z.array(namedPattern).max(32).optional().describe('Custom detectors, each with its name'),
  })
  .describe('What to look for in answers');

export const guardrails = z
  .object({
    input: z
      .object({
        denyPatterns: z
          .array(guardrailPattern)
          .max(64)
          .optional()
          .describe('A request whose text matches any of these is refused with 400 guardrail_blocked'),
        maxInputTokens: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('Most input tokens (estimated at four characters a token) a request may carry'),
        guardModel: z
          .object({
            model: dnsLabel('guardModel.model').describe(
              'A text-classification AIModel the router asks first, with the request text',
            ),
            blockLabels: z
              .array(z.string().min(1).max(128))
              .min(1)
              .max(32)
              .describe('Labels that block the request when they are its top label'),
            threshold: z.number().min(0).max(1).default(0.5).describe('Least score of a blocking top label'),
            onError: z
              .enum(['block', 'allow'])
              .default('block')
              .describe(
                'When the guard model cannot answer: block (503 guardrail_unavailable) or allow the request unchecked',
              ),
          })
          .optional()
          .describe('A classifier every request passes before the model is asked'),
      })
      .optional()
      .describe('Checks on the request text, before the cache or any backend is asked'),
    output: z
      .object({
        redact: detectorList.optional().describe('Matches are replaced with [REDACTED:<rule>]'),
        block: detectorList
          .optional()
          .describe(
            'A match refuses the answer with 422 guardrail_blocked (a stream ends at the rule with an error event)',
          ),
        holdBackChars: z
          .number()
          .int()
          .min(32)
          .max(4096)
          .default(128)
          .describe(
            'How many characters of a stream are held back so a match split across chunks is still caught',
          ),
      })
      .optional()
      .describe('Checks on answers, fresh and cached, streamed or not'),
  })
  .describe('Input and output policy the router enforces for this model');
export type Guardrails = z.infer<typeof guardrails>;
