/**
 * Input guardrails as a request gate: they run for every request once its model is known, before the cache
 * is asked, so a refused request is never cached nor sent upstream. In order, cheapest first: the token cap
 * (estimated at four characters a token, over every text), the deny patterns and the guard model (over the
 * texts but the application's own instructions), the guard model being a text-classification
 * model the router asks through the inference service like any request (its own budgets, cache and
 * metrics apply), whose top label in blockLabels with at least `threshold` blocks.
 * @module
 */
import type { Logger } from 'pino';
import {
  ApiError,
  BudgetExceededError,
  GuardrailUnavailableError,
  RateLimitedError,
  UnsupportedParameterError,
} from '../errors.js';
import type { RequestContext, RoutingRequest } from '../inference/inference-service.js';
import {
  type ClassifyResult,
  classification,
  type InputText,
  type Operation,
} from '../inference/operations.js';
import type { GatePass, GateRequest, RequestGate } from '../inference/request-gate.js';
import type { Served } from '../inference/served.js';
import { blocked, type Report } from './output-guard.js';
import { compilePolicy, type GuardModelPolicy, type InputPolicy } from './policy.js';
import { chunked } from './scan.js';

/** The router's usual estimate: about four characters a token. */
export const estimateTokens = (texts: readonly InputText[]) =>
  Math.ceil(texts.reduce((n, t) => n + t.text.length, 0) / 4);

/** Runs a classification (the inference service's run). */
export type RunClassification = (
  op: Operation<ClassifyResult>,
  routing: RoutingRequest,
  ctx: RequestContext,
) => Promise<Served<ClassifyResult>>;

export interface InputGuardrailsOptions {
  readonly report: Report;
  readonly logger: Logger;
  /** Late-bound: the gate is built before the service it is a gate of. */
  readonly run: () => RunClassification;
}

const PASS: GatePass = { settle: () => undefined };

/** Soft hyphen, zero-width space/joiners, word joiner, BOM: invisible, and placed inside words to split them. */
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;

/**
 * A text as deny patterns read it: compatibility forms folded (fullwidth ｉｇｎｏｒｅ, ligatures) and invisible
 * characters dropped, so a phrase the model reads as usual is not hidden from the patterns.
 */
export const screened = (text: string) => text.normalize('NFKC').replace(INVISIBLE, '');

/** The first deny rule matching any text, by name. */
export function deniedBy(policy: InputPolicy, texts: readonly string[]): string | undefined {
  const forms = texts.map(screened);
  for (const rule of policy.deny)
    for (const text of forms) {
      const hit = chunked(text, (part) => {
        rule.re.lastIndex = 0;
        const m = rule.re.exec(part);
        return m ? [{ start: m.index, end: m.index + m[0].length }] : [];
      });
      if (hit.length > 0) return rule.name;
    }
  return undefined;
}

/** The label a classification blocks on, if its top label is one of blockLabels with enough score. */
export function blockingLabel(guard: GuardModelPolicy, result: ClassifyResult): string | undefined {
  for (const r of result.results)
    if (guard.blockLabels.has(r.label) && r.score >= guard.threshold) return r.label;
  return undefined;
}

export class InputGuardrails implements RequestGate {
  readonly #o: InputGuardrailsOptions;
  /** Requests the gate itself makes to guard models: not guarded again. */
  readonly #own = new WeakSet<object>();

  constructor(options: InputGuardrailsOptions) {
    this.#o = options;
  }

  async enter(request: GateRequest): Promise<GatePass> {
    if (this.#own.has(request.op)) return PASS;
    const { model, op } = request;
    const policy = compilePolicy(model.spec.guardrails);
    if (policy?.invalid)
      throw new GuardrailUnavailableError(
        `The guardrails of model ${model.name} are invalid (${policy.invalid}); its requests are refused until they are fixed`,
        { model: model.name, problem: policy.invalid },
      );
    if (policy?.output && op.asksLogprobs?.())
      throw new UnsupportedParameterError(
        `Model ${model.name} has output guardrails: log-probabilities are refused, since their token texts would carry what is redacted`,
        { model_id: model.name },
        { param: 'logprobs' },
      );
    const input = policy?.input;
    if (!input) return PASS;
    const unreadable = op.unreadableInput?.();
    if (unreadable)
      throw new UnsupportedParameterError(
        `Model ${model.name} has input guardrails: ${unreadable} must be text, not token ids, so that it can be checked`,
        { model_id: model.name },
        { param: unreadable },
      );
    const inputs = op.inputs?.() ?? [];
    // The application's own instructions count against the cap but are not screened (they say what to refuse).
    const texts = inputs.filter((t) => !t.instructions).map((t) => t.text);
    const refuse = (rule: string) => {
      this.#o.report({
        requestId: request.requestId,
        model: model.name,
        rule,
        direction: 'input',
        action: 'block',
      });
      return blocked(model.name, 'input', rule);
    };
    if (input.maxInputTokens !== undefined && estimateTokens(inputs) > input.maxInputTokens)
      throw refuse('maxInputTokens');
    const denied = deniedBy(input, texts);
    if (denied) throw refuse(denied);
    if (input.guardModel && texts.length > 0 && (await this.#guardBlocks(input.guardModel, texts, request)))
      throw refuse('guardModel');
    return PASS;
  }

  async #guardBlocks(
    guard: GuardModelPolicy,
    texts: readonly string[],
    request: GateRequest,
  ): Promise<boolean> {
    const op = classification(texts, { truncate: true });
    this.#own.add(op);
    let result: ClassifyResult;
    try {
      const served = await this.#o.run()(
        op,
        { modelId: guard.model, useFallbacks: false },
        { requestId: request.requestId, caller: request.caller },
      );
      result = served.value;
    } catch (err) {
      // The caller's own budget or rate limit refused the check: that is its answer. Allowing the request
      // unchecked would let a caller skip the guard by leaving its budget just short of the guard's call.
      if (err instanceof BudgetExceededError || err instanceof RateLimitedError) throw err;
      const code = err instanceof ApiError ? err.code : 'internal_error';
      const log = { requestId: request.requestId, model: request.model.name, guardModel: guard.model, code };
      if (guard.onError === 'allow') {
        this.#o.logger.warn(log, 'guard model unavailable; request allowed unchecked (onError: allow)');
        return false;
      }
      this.#o.logger.warn(log, 'guard model unavailable; request refused (onError: block)');
      throw new GuardrailUnavailableError(
        `The guard model ${guard.model} of model ${request.model.name} could not check the request`,
        { model: request.model.name, guard_model: guard.model, reason: code },
      );
    }
    return blockingLabel(guard, result) !== undefined;
  }
}
