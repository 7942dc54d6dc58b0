/**
 * An AIModel's guardrails checked and compiled once per spec: the input checks and the output detectors with their
 * actions, ready to scan. Compiled lazily and kept per spec object, so a changed AIModel (a new spec object
 * from the catalog) is compiled again and an unchanged one never is.
 * @module
 */
import {
  type Guardrails,
  guardrails as guardrailsSchema,
  patternSource,
} from '../../../crds/src/guardrails.js';
import { BUILTIN, type Detector, regexDetector } from './detectors.js';

export type Action = 'redact' | 'block';

export interface OutputRule extends Detector {
  readonly action: Action;
}

export interface DenyRule {
  readonly name: string;
  readonly re: RegExp;
}

export interface GuardModelPolicy {
  readonly model: string;
  readonly blockLabels: ReadonlySet<string>;
  readonly threshold: number;
  readonly onError: 'block' | 'allow';
}

export interface InputPolicy {
  readonly deny: readonly DenyRule[];
  readonly maxInputTokens?: number;
  readonly guardModel?: GuardModelPolicy;
}

export interface OutputPolicy {
  /** Block rules first: a text both blocked and redacted is blocked. */
  readonly rules: readonly OutputRule[];
  readonly holdBackChars: number;
}

export interface Policy {
  readonly input?: InputPolicy;
  readonly output?: OutputPolicy;
  /** Why the guardrails cannot be enforced (a pattern that does not compile): the model's requests are refused. */
  readonly invalid?: string;
}

const compiled = new WeakMap<Guardrails, Policy>();

export function compilePolicy(g: Guardrails | undefined): Policy | undefined {
  if (!g) return undefined;
  let policy = compiled.get(g);
  if (!policy) {
    // In a cluster the API server could only bound the patterns' length: check them here too.
    const parsed = guardrailsSchema.safeParse(g);
    if (parsed.success) policy = { ...inputPolicy(parsed.data), ...outputPolicy(parsed.data) };
    else {
      const issue = parsed.error.issues[0];
      policy = { invalid: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
    }
    compiled.set(g, policy);
  }
  return policy;
}

function regex(pattern: string, caseInsensitive?: boolean): RegExp {
  const { source, flags } = patternSource(pattern, caseInsensitive);
  return new RegExp(source, flags);
}

function inputPolicy(g: Guardrails): Pick<Policy, 'input'> {
  const i = g.input;
  if (!i) return {};
  const deny = (i.denyPatterns ?? []).map((p, n) => ({
    name: p.name ?? `denyPatterns-${n}`,
    re: regex(p.pattern, p.caseInsensitive),
  }));
  const guard = i.guardModel;
  const input: InputPolicy = {
    deny,
    ...(i.maxInputTokens === undefined ? {} : { maxInputTokens: i.maxInputTokens }),
    ...(guard
      ? {
          guardModel: {
            model: guard.model,
            blockLabels: new Set(guard.blockLabels),
            threshold: guard.threshold ?? 0.5,
            onError: guard.onError ?? 'block',
          },
        }
      : {}),
  };
  const empty = deny.length === 0 && !input.maxInputTokens && !input.guardModel;
  return empty ? {} : { input };
}

type List = NonNullable<NonNullable<Guardrails['output']>['redact']>;

function rulesOf(list: List | undefined, action: Action): OutputRule[] {
  if (!list) return [];
  return [
    ...(list.detectors ?? []).map((d) => ({ ...BUILTIN[d], action })),
    ...(list.patterns ?? []).map((p) => ({
      ...regexDetector(p.name, regex(p.pattern, p.caseInsensitive)),
      action,
    })),
  ];
}

function outputPolicy(g: Guardrails): Pick<Policy, 'output'> {
  const o = g.output;
  if (!o) return {};
  const rules = [...rulesOf(o.block, 'block'), ...rulesOf(o.redact, 'redact')];
  return rules.length === 0 ? {} : { output: { rules, holdBackChars: o.holdBackChars ?? 128 } };
}
