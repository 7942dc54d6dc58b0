/**
 * The budget gate: before a request reaches the cache or a backend, its estimate (usage-estimate.ts; priced
 * with the model's pricing for spend) is reserved against the caller's token window and spend periods, all or
 * nothing; a request that does not fit is refused with 429 and when it would. When the request ends, the
 * reservation is replaced by what it really used (priced on the target that served it); a failure or a cache
 * hit gives it all back. Counters are keyed `{caller}:tok:<window>` and `{caller}:spend:<day|month id>`.
 * @module
 */
import type { CatalogModel } from '../catalog/catalog.js';
import { type Config, ConfigError } from '../config.js';
import { BudgetExceededError } from '../errors.js';
import type { GatePass, GateRequest, GateUsage, RequestGate } from '../inference/request-gate.js';
import { estimateUsage } from '../inference/usage-estimate.js';
import { requestCost } from '../metering/cost.js';
import type { Metrics } from '../metrics/registry.js';
import type { BudgetCounter, BudgetStore, CounterState } from './budget-store.js';
import { MemoryBudgetStore } from './budget-store.js';
import {
  type Budgets,
  openAIDuration,
  parseSpendLimits,
  parseTokenLimits,
  SPEND_UNITS,
  type SpendLimit,
  spendLimitsFor,
  spendPeriod,
  tokensRemaining,
  tokensResetMs,
  tokensWaitMs,
  tokenWindow,
  toSpendUnits,
  type WindowState,
} from './budgets.js';
import { limitFor, RateLimitsError } from './rate-limit.js';

/** ROUTER_TOKEN_LIMITS and ROUTER_SPEND_LIMITS, parsed; undefined when neither is set. */
export function loadBudgets(config: Config): Budgets | undefined {
  try {
    const tokens =
      config.ROUTER_TOKEN_LIMITS === undefined
        ? undefined
        : parseTokenLimits(config.ROUTER_TOKEN_LIMITS, 'ROUTER_TOKEN_LIMITS');
    const spend =
      config.ROUTER_SPEND_LIMITS === undefined
        ? undefined
        : parseSpendLimits(config.ROUTER_SPEND_LIMITS, 'ROUTER_SPEND_LIMITS');
    if (!tokens && !spend) return undefined;
    return { ...(tokens ? { tokens } : {}), ...(spend ? { spend } : {}) };
  } catch (err) {
    if (err instanceof RateLimitsError) throw new ConfigError(`Invalid configuration: ${err.message}`);
    throw err;
  }
}

export interface BudgetGateOptions {
  readonly budgets: Budgets;
  readonly store: BudgetStore;
  readonly windowMs: number;
  readonly metrics: Metrics;
  /** The catalog's models by name, to price a request's fallbacks (none: only the model asked for). */
  readonly lookup?: (name: string) => CatalogModel | undefined;
  readonly now?: () => number;
}

/**
 * The estimate's cost on the priciest model that may serve it: the model asked for and its fallbacks, depth
 * first, each once. Priced on the model asked for alone, a free model with a paid fallback reserved nothing,
 * and nothing always fits: its requests went on spending through the fallback past the limit.
 */
export function costCeiling(
  model: CatalogModel,
  estimate: { readonly inputTokens: number; readonly outputTokens: number },
  lookup: (name: string) => CatalogModel | undefined = () => undefined,
): number {
  const seen = new Set<string>();
  let ceiling = 0;
  const visit = (m: CatalogModel): void => {
    if (seen.has(m.name)) return;
    seen.add(m.name);
    const cost = requestCost(m.spec.pricing, estimate.inputTokens, estimate.outputTokens)?.amount ?? 0;
    ceiling = Math.max(ceiling, cost);
    for (const name of m.spec.fallbacks ?? []) {
      const next = lookup(name);
      if (next) visit(next);
    }
  };
  visit(model);
  return ceiling;
}

interface Planned {
  readonly counter: BudgetCounter;
  readonly kind: 'tokens' | 'spend';
  /** Tokens: the window's position; spend: the period and its limit. */
  readonly window?: { readonly elapsedMs: number };
  readonly spend?: { readonly limit: SpendLimit; readonly endsAt: number };
}

const NOTHING: GatePass = { settle: () => undefined };

export class BudgetGate implements RequestGate {
  readonly #o: BudgetGateOptions;
  readonly #now: () => number;

  constructor(options: BudgetGateOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  async enter(request: GateRequest): Promise<GatePass> {
    const { caller, model, op } = request;
    const { tokens, spend } = this.#o.budgets;
    const tokenLimit = tokens ? limitFor(tokens, caller) : undefined;
    const spendLimits = spend ? spendLimitsFor(spend, caller) : [];
    if (tokenLimit === undefined && spendLimits.length === 0) return NOTHING;
    const estimate = estimateUsage(op, model);
    const now = this.#now();
    const tag = `{${caller}}`;
    const planned: Planned[] = [];
    if (tokenLimit !== undefined) {
      const { windowMs } = this.#o;
      const w = tokenWindow(now, windowMs);
      planned.push({
        kind: 'tokens',
        counter: {
          key: `${tag}:tok:${w.index}`,
          previousKey: `${tag}:tok:${w.index - 1}`,
          previousWeight: w.weight,
          limit: tokenLimit,
          amount: estimate.inputTokens + estimate.outputTokens,
          ttlMs: 2 * windowMs,
        },
        window: { elapsedMs: w.elapsedMs },
      });
    }
    const cost = spendLimits.length > 0 ? costCeiling(model, estimate, this.#o.lookup) : 0;
    for (const limit of spendLimits) {
      const period = spendPeriod(now, limit.period);
      planned.push({
        kind: 'spend',
        // A period's counter outlives it by a day, for late settlements.
        counter: {
          key: `${tag}:spend:${period.id}`,
          previousWeight: 0,
          limit: toSpendUnits(limit.amount),
          amount: toSpendUnits(cost),
          ttlMs: period.endsAt - now + 86_400_000,
        },
        spend: { limit, endsAt: period.endsAt },
      });
    }
    const reservation = await this.#o.store.reserve(planned.map((p) => p.counter));
    // The store could not answer: the request goes on unreserved (it logged and counted why).
    if (!reservation) return NOTHING;
    if (reservation.refused !== undefined) {
      const at = reservation.refused;
      throw this.#refusal(caller, planned[at] as Planned, reservation.states[at] as CounterState, now);
    }
    return this.#pass(planned);
  }

  #pass(planned: readonly Planned[]): GatePass {
    const store = this.#o.store;
    return {
      settle: (used: GateUsage | undefined) => {
        for (const p of planned) {
          const actual = used && !used.cacheHit ? this.#actual(p.kind, used) : 0;
          const delta = actual - p.counter.amount;
          if (delta !== 0) void store.adjust(p.counter.key, delta);
        }
      },
    };
  }

  #actual(kind: 'tokens' | 'spend', used: GateUsage): number {
    if (kind === 'tokens') return used.inputTokens + used.outputTokens;
    const cost = requestCost(used.target.model.spec.pricing, used.inputTokens, used.outputTokens);
    return toSpendUnits(cost?.amount ?? 0);
  }

  #refusal(caller: string, p: Planned, state: CounterState, now: number): BudgetExceededError {
    const named =
      p.kind === 'tokens'
        ? this.#o.budgets.tokens?.byCaller.has(caller)
        : this.#o.budgets.spend?.byCaller.has(caller);
    this.#o.metrics.budgetRefused.inc({ caller: named ? caller : '*', budget: p.kind });
    const { limit, amount } = p.counter;
    if (p.kind === 'tokens') {
      const windowMs = this.#o.windowMs;
      const s: WindowState = { ...state, elapsedMs: p.window?.elapsedMs ?? 0, windowMs };
      const remaining = tokensRemaining(s, limit);
      const waitMs = tokensWaitMs(s, amount, limit);
      const retryAfterSeconds = waitMs === undefined ? undefined : Math.max(1, Math.ceil(waitMs / 1000));
      const window = `${windowMs / 1000} s`;
      return new BudgetExceededError(
        'tokens',
        retryAfterSeconds === undefined
          ? `The request may use ${amount} tokens (prompt and max_tokens), more than the limit of ${limit} tokens per ${window} for ${caller}; ask for fewer max_tokens or send less`
          : `Token limit of ${limit} per ${window} reached for ${caller}: the request may use ${amount} tokens and ${remaining} remain; retry in ${retryAfterSeconds} s`,
        {
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
          headers: {
            'x-ratelimit-limit-tokens': String(limit),
            'x-ratelimit-remaining-tokens': String(remaining),
            'x-ratelimit-reset-tokens': openAIDuration(tokensResetMs(s)),
          },
          details: {
            caller,
            budget: 'tokens',
            limit,
            remaining,
            requested: amount,
            window_seconds: windowMs / 1000,
          },
        },
      );
    }
    const period = p.spend as NonNullable<Planned['spend']>;
    const spent = state.current / SPEND_UNITS;
    const requested = amount / SPEND_UNITS;
    const tooLarge = amount > limit;
    const retryAfterSeconds = tooLarge ? undefined : Math.max(1, Math.ceil((period.endsAt - now) / 1000));
    return new BudgetExceededError(
      'spend',
      tooLarge
        ? `The request may cost ${requested}, more than the spend limit of ${period.limit.amount} per ${period.limit.period} for ${caller}`
        : `Spend limit of ${period.limit.amount} per ${period.limit.period} (UTC) reached for ${caller}: ${spent} spent, the request may cost ${requested}; retry when the ${period.limit.period} ends`,
      {
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        details: {
          caller,
          budget: 'spend',
          limit: period.limit.amount,
          period: period.limit.period,
          spent,
          requested,
          resets_at: new Date(period.endsAt).toISOString(),
        },
      },
    );
  }
}

/** The gate a router runs when budgets are declared, on the shared store or one of this process. */
export function budgetGate(
  budgets: Budgets | undefined,
  store: BudgetStore | undefined,
  config: Config,
  metrics: Metrics,
  lookup: (name: string) => CatalogModel | undefined,
): { gate: RequestGate; store: BudgetStore } | undefined {
  if (!budgets) return undefined;
  const counters = store ?? new MemoryBudgetStore();
  const windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
  return { gate: new BudgetGate({ budgets, store: counters, windowMs, metrics, lookup }), store: counters };
}
